/** Every check of `doctor`, in the order an operator fixes things: configuration, files, certificates, store, ports. */
import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { Config, loadConfig } from '../../config';
import { GatewayError } from '../../errors';
import { pairFiles, SERVER_BASE } from '../../pki/cert-dir';
import { checkCertificates } from './check-certificates';
import { checkFiles } from './check-files';
import { checkPorts } from './check-ports';
import { checkStore } from './check-store';
import { Finding, wrong } from './finding';

const readable = (file: string): X509Certificate[] => {
  try {
    return [new X509Certificate(readFileSync(file))];
  } catch {
    return [];
  }
};

export async function runDoctor(env: NodeJS.ProcessEnv, overrides: Partial<Config>, now: number = Date.now()): Promise<Finding[]> {
  let config: Readonly<Config>;
  try {
    config = loadConfig(env, overrides);
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    return [wrong('config', 'configuration', err.message, 'correct the settings named (GATEWAY_* variables, GATEWAY_CONFIG file)')];
  }
  const findings = [...checkFiles(config), ...checkCertificates(config, now)];
  // A missing data directory is already reported; opening the store there would only say it again.
  if (config.databaseUrl || existsSync(config.dataDir)) findings.push(await checkStore(config));
  const ours = [pairFiles(config.certDir, SERVER_BASE).cert, ...(config.httpCert ? [config.httpCert] : [])].flatMap(readable);
  findings.push(...(await checkPorts(config, ours)));
  return findings;
}

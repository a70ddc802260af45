/** The deployment's directories and secret-holding files: there, and private (the start-up check of src/private-files.ts). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Config } from '../../config';
import { privacyProblem, privatePaths } from '../../private-files';
import { SECRETS_FILE } from '../../system-secrets';
import { Finding, well, wrong } from './finding';

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();

export function checkFiles(config: Readonly<Config>): Finding[] {
  const findings: Finding[] = [];
  if (!isDirectory(config.certDir)) {
    findings.push(wrong('files', config.certDir, 'the certificate directory does not exist', `master-gateway certs init --out ${config.certDir} (a new deployment), or point GATEWAY_CERT_DIR at the existing one`));
  }
  if (!config.databaseUrl && !isDirectory(config.dataDir)) {
    findings.push(wrong('files', config.dataDir, 'the data directory does not exist', `master-gateway store init --data-dir ${config.dataDir} (a new deployment), or point GATEWAY_DATA_DIR at the existing one`));
  }
  // Private keys and the embedded system secret are checked like the paths serve checks at start.
  const keys = isDirectory(config.certDir) ? readdirSync(config.certDir).filter((f) => f.endsWith('_key.pem') || f === SECRETS_FILE) : [];
  const paths: [string, 'directory' | 'file'][] = [...privatePaths(config), ...keys.map((f): [string, 'file'] => [join(config.certDir, f), 'file'])];
  for (const [path, kind] of paths) {
    if (!existsSync(path)) continue;
    const problem = privacyProblem(path, kind);
    findings.push(problem ? wrong('files', path, problem, `chmod ${kind === 'directory' ? '700' : '600'} ${path}`) : well('files', path, `${kind} is private to its owner`));
  }
  return findings;
}

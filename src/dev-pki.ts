/**
 * The development PKI made on first start. Only where nothing can have been lost: the default
 * certificate directory while it holds no certificate or key, or any directory when the operator
 * asks (`serve --dev-pki`, GATEWAY_DEV_PKI). A mistyped GATEWAY_CERT_DIR must not quietly become a
 * new CA that no client trusts (or, worse, that someone else's clients are then issued from).
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Logger } from 'pino';
import { Config, DEFAULTS, ENV_NAMES } from './config';
import { NotInitialized } from './errors';
import { CA_BASE, devServerNames, initPki, pairFiles } from './pki/cert-dir';
import { Store } from './store/store';

/** Certificates and keys; other files (a README, a secrets file beside the CA) do not make the directory "used". */
const PKI_FILE = /\.(crt|pem|key)$/;

function holdsPkiFiles(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((name) => PKI_FILE.test(name));
}

/**
 * Whether start-up must make a dev PKI (true) or finds a CA (false). Throws NotInitialized, before
 * anything is written, when the directory has no CA and making one was not asked for.
 */
export function needsDevPki(config: Pick<Config, 'certDir' | 'devPki'>): boolean {
  const ca = pairFiles(config.certDir, CA_BASE).cert;
  if (existsSync(ca)) return false;
  if (config.devPki) return true;
  const isDefault = config.certDir === resolve(DEFAULTS.certDir);
  if (isDefault && !holdsPkiFiles(config.certDir)) return true;
  const why = isDefault ? `${config.certDir} holds certificates or keys but no ca.crt` : `${ca} does not exist (${ENV_NAMES.certDir}=${config.certDir})`;
  throw new NotInitialized(
    `${why}; refusing to make a new CA there. Make one with "master-gateway certs init --out ${config.certDir}", ` +
      `or start with "master-gateway serve --dev-pki" for a development PKI (check the path first if it should already hold one)`,
  );
}

export async function ensureDevPki(config: Config, store: Store, log: Logger): Promise<void> {
  if (!needsDevPki(config)) return;
  // An empty default ./certs beside a database that remembers a CA is a CA lost, not a first start.
  const known = config.devPki ? [] : (await store.listCertificates()).filter((c) => c.kind === 'ca');
  if (known.length > 0) {
    throw new NotInitialized(
      `${config.certDir} holds no ca.crt, but the database records CA serial ${known[known.length - 1].serial}: restore that CA's ` +
        `ca.crt and ca_key.pem (its clients trust no other), or start with "master-gateway serve --dev-pki" to replace it with a new development CA`,
    );
  }
  const names = devServerNames(config.serverNames);
  const { ca, server, admin } = initPki(config.certDir, { names });
  for (const issued of [ca, server, admin]) await store.recordCertificate(issued.record);
  log.warn(
    { certDir: config.certDir, serverNames: names },
    'no CA found: created a development PKI (ca.crt, server.crt, admin.crt); give clients ca.crt and their own certificate',
  );
}

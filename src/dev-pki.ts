/** The development PKI made on first start, when the certificate directory holds no CA. */
import { existsSync } from 'node:fs';
import { Logger } from 'pino';
import { Config } from './config';
import { CA_BASE, devServerNames, initPki, pairFiles } from './pki/cert-dir';
import { Store } from './store/store';

export async function ensureDevPki(config: Config, store: Store, log: Logger): Promise<void> {
  if (existsSync(pairFiles(config.certDir, CA_BASE).cert)) return;
  const names = devServerNames(config.serverNames);
  const { ca, server, admin } = initPki(config.certDir, { names });
  for (const issued of [ca, server, admin]) await store.recordCertificate(issued.record);
  log.warn(
    { certDir: config.certDir, serverNames: names },
    'no CA found: created a development PKI (ca.crt, server.crt, admin.crt); give clients ca.crt and their own certificate',
  );
}

/** Whether the configured store answers, reached as every store command reaches it. */
import { join } from 'node:path';
import { Config } from '../../config';
import { GatewayError } from '../../errors';
import { DATABASE_FILE, openStore } from '../../store/open-store';
import { Finding, well, wrong } from './finding';

export async function checkStore(config: Readonly<Config>): Promise<Finding> {
  // The URL may hold a password: only its host and database are named.
  const subject = config.databaseUrl ? `postgres ${new URL(config.databaseUrl).host}${new URL(config.databaseUrl).pathname}` : join(config.dataDir, DATABASE_FILE);
  try {
    const store = await openStore(config, { pollMs: 0, create: false });
    try {
      const tenants = await store.listTenants();
      return well('store', subject, `answers (${tenants.length} tenant${tenants.length === 1 ? '' : 's'})`);
    } finally {
      await store.close();
    }
  } catch (err) {
    const code = err instanceof GatewayError ? err.code : 'ERR_INTERNAL';
    const cause = err instanceof GatewayError && err.cause instanceof Error ? ` (${err.cause.message})` : '';
    if (code === 'ERR_NOT_INITIALIZED') return wrong('store', subject, 'does not exist', `master-gateway store init --data-dir ${config.dataDir} (a new deployment), or point GATEWAY_DATA_DIR at the existing one`);
    return wrong('store', subject, `does not answer: ${(err as Error).message}${cause}`, config.databaseUrl ? 'start the database or correct GATEWAY_DATABASE_URL' : `check ${subject} and the disk it is on`);
  }
}

/**
 * Whether the configured store answers and at which schema version. Read only: the store is not
 * opened as the gateway opens it, since that would migrate an older schema (and doctor changes nothing).
 */
import { join } from 'node:path';
import { Config } from '../../config';
import { GatewayError } from '../../errors';
import { DATABASE_FILE, readSchema } from '../../store/open-store';
import { Finding, well, wrong } from './finding';

export async function checkStore(config: Readonly<Config>): Promise<Finding> {
  // The URL may hold a password: only its host and database are named.
  const subject = config.databaseUrl ? `postgres ${new URL(config.databaseUrl).host}${new URL(config.databaseUrl).pathname}` : join(config.dataDir, DATABASE_FILE);
  try {
    const { version, latest, tenants } = await readSchema(config);
    if (version > latest) {
      return wrong('store', subject, `schema at version ${version}, newer than this gateway's ${latest}: a newer gateway wrote it`, 'run the gateway release that wrote this store (or a later one)');
    }
    if (version === 0) return well('store', subject, `answers, holds no gateway schema yet: the gateway will create it (version ${latest}) on start`);
    const counted = tenants === undefined ? '' : ` (${tenants} tenant${tenants === 1 ? '' : 's'})`;
    if (version < latest) return well('store', subject, `answers${counted}; schema at version ${version}, the gateway will migrate it to ${latest} on start`);
    return well('store', subject, `answers${counted}`);
  } catch (err) {
    const code = err instanceof GatewayError ? err.code : 'ERR_INTERNAL';
    const cause = err instanceof GatewayError && err.cause instanceof Error ? ` (${err.cause.message})` : '';
    if (code === 'ERR_NOT_INITIALIZED') return wrong('store', subject, 'does not exist', `master-gateway store init --data-dir ${config.dataDir} (a new deployment), or point GATEWAY_DATA_DIR at the existing one`);
    return wrong('store', subject, `does not answer: ${(err as Error).message}${cause}`, config.databaseUrl ? 'start the database or correct GATEWAY_DATABASE_URL' : `check ${subject} and the disk it is on`);
  }
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Config } from '../config';
import { NotInitialized, StoreUnavailable } from '../errors';
import { openPostgresStore } from './postgres/postgres-store';
import { openSqliteStore, SqliteStoreOptions } from './sqlite/sqlite-store';
import { Store } from './store';

export const DATABASE_FILE = 'gateway.db';

export interface OpenStoreOptions extends SqliteStoreOptions {
  /**
   * Make the embedded database when the data directory has none (serve and `store init`). Off for
   * the administration commands: a mistyped --data-dir must not become a new, empty store.
   */
  create?: boolean;
}

/**
 * The backends a GATEWAY_DATABASE_URL chooses, by its scheme (a new backend registers here; config.ts
 * says which schemes it accepts). The database is the operator's to create; its tables are migrated
 * on every open.
 */
const URL_BACKENDS: Record<string, (url: string) => Promise<Store>> = {
  'postgres:': openPostgresStore,
  'postgresql:': openPostgresStore,
};

/** The configured store: the one its GATEWAY_DATABASE_URL names, else the embedded database in the data directory. */
export async function openStore(config: Pick<Config, 'dataDir' | 'databaseUrl'>, options: OpenStoreOptions = {}): Promise<Store> {
  if (config.databaseUrl) {
    const open = URL_BACKENDS[new URL(config.databaseUrl).protocol];
    if (!open) throw new StoreUnavailable('GATEWAY_DATABASE_URL names no store backend this gateway has');
    return open(config.databaseUrl);
  }
  const file = join(config.dataDir, DATABASE_FILE);
  const create = options.create ?? true;
  if (!create && !existsSync(file)) {
    throw new NotInitialized(
      `${file} does not exist: ${config.dataDir} holds no gateway database. Check the path (--data-dir, GATEWAY_DATA_DIR); ` +
        `to start a new one, run "master-gateway serve" once or "master-gateway store init --data-dir ${config.dataDir}"`,
    );
  }
  return openSqliteStore(file, { ...options, mustExist: !create });
}

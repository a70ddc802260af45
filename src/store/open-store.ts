import { join } from 'node:path';
import { Config } from '../config';
import { openPostgresStore } from './postgres/postgres-store';
import { openSqliteStore, SqliteStoreOptions } from './sqlite/sqlite-store';
import { Store } from './store';

export const DATABASE_FILE = 'gateway.db';

/** The configured store: PostgreSQL when GATEWAY_DATABASE_URL is set, else the embedded database in the data directory. */
export async function openStore(config: Pick<Config, 'dataDir' | 'databaseUrl'>, options?: SqliteStoreOptions): Promise<Store> {
  if (config.databaseUrl) return openPostgresStore(config.databaseUrl);
  return openSqliteStore(join(config.dataDir, DATABASE_FILE), options);
}

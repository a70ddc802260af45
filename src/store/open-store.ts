import { join } from 'node:path';
import { openSqliteStore, SqliteStoreOptions } from './sqlite/sqlite-store';
import { Store } from './store';

export const DATABASE_FILE = 'gateway.db';

/** The configured store: the embedded database in the data directory. */
export function openStore(dataDir: string, options?: SqliteStoreOptions): Store {
  return openSqliteStore(join(dataDir, DATABASE_FILE), options);
}

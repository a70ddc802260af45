import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Config } from '../config';
import { NotInitialized, StoreUnavailable } from '../errors';
import { openPostgresStore } from './postgres/postgres-store';
import { readPostgresSchema } from './postgres/schema-state';
import { SchemaState } from './schema-state';
import { readSqliteSchema } from './sqlite/schema-state';
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
 * on every open (`readSchema` only looks).
 */
interface UrlBackend {
  open(url: string): Promise<Store>;
  readSchema(url: string): Promise<SchemaState>;
}
const POSTGRES: UrlBackend = { open: (url) => openPostgresStore(url), readSchema: readPostgresSchema };
const URL_BACKENDS: Record<string, UrlBackend> = {
  'postgres:': POSTGRES,
  'postgresql:': POSTGRES,
};

function urlBackend(url: string): UrlBackend {
  const backend = URL_BACKENDS[new URL(url).protocol];
  if (!backend) throw new StoreUnavailable('GATEWAY_DATABASE_URL names no store backend this gateway has');
  return backend;
}

function notInitialized(dataDir: string, file: string): NotInitialized {
  return new NotInitialized(
    `${file} does not exist: ${dataDir} holds no gateway database. Check the path (--data-dir, GATEWAY_DATA_DIR); ` +
      `to start a new one, run "master-gateway serve" once or "master-gateway store init --data-dir ${dataDir}"`,
  );
}

/** The configured store: the one its GATEWAY_DATABASE_URL names, else the embedded database in the data directory. */
export async function openStore(config: Pick<Config, 'dataDir' | 'databaseUrl'>, options: OpenStoreOptions = {}): Promise<Store> {
  if (config.databaseUrl) return urlBackend(config.databaseUrl).open(config.databaseUrl);
  const file = join(config.dataDir, DATABASE_FILE);
  const create = options.create ?? true;
  if (!create && !existsSync(file)) throw notInitialized(config.dataDir, file);
  return openSqliteStore(file, { ...options, mustExist: !create });
}

/** The configured store's schema version, read without migrating or creating anything (doctor). */
export async function readSchema(config: Pick<Config, 'dataDir' | 'databaseUrl'>): Promise<SchemaState> {
  if (config.databaseUrl) return urlBackend(config.databaseUrl).readSchema(config.databaseUrl);
  const file = join(config.dataDir, DATABASE_FILE);
  if (!existsSync(file)) throw notInitialized(config.dataDir, file);
  return readSqliteSchema(file);
}

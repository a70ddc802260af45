/** The embedded database's schema version, read through a read-only connection: nothing is migrated or created. */
import Database from 'better-sqlite3';
import { StoreUnavailable } from '../../errors';
import { SchemaState } from '../schema-state';
import { MIGRATIONS } from './migrations';

export function readSqliteSchema(file: string): SchemaState {
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const has = (table: string) => db!.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
    const version = has('schema_migrations') ? ((db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0) : 0;
    const tenants = version > 0 && version <= latest ? (db.prepare('SELECT count(*) AS n FROM tenants').get() as { n: number }).n : undefined;
    return { version, latest, ...(tenants !== undefined ? { tenants } : {}) };
  } catch (cause) {
    throw new StoreUnavailable(`cannot read the embedded database ${file}`, { cause });
  } finally {
    db?.close();
  }
}

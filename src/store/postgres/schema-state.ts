/** The PostgreSQL schema's version, read with plain SELECTs on one connection: nothing is migrated or created. */
import { StoreUnavailable } from '../../errors';
import { SchemaState } from '../schema-state';
import { createDatabase } from './database';
import { MIGRATIONS } from './migrations';

export async function readPostgresSchema(url: string): Promise<SchemaState> {
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));
  const db = createDatabase(url, { poolSize: 1 });
  try {
    const { schema, present } = (await db.query<{ schema: string | null; present: boolean }>("SELECT current_schema() AS schema, to_regclass('schema_migrations') IS NOT NULL AS present")).rows[0];
    if (schema === null) throw new StoreUnavailable(`PostgreSQL at ${db.target}: no schema on the search_path exists`);
    const version = present ? Number((await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')).rows[0].v ?? 0) : 0;
    const tenants = version > 0 && version <= latest ? Number((await db.query<{ n: number }>('SELECT count(*) AS n FROM tenants')).rows[0].n) : undefined;
    return { version, latest, ...(tenants !== undefined ? { tenants } : {}) };
  } finally {
    await db.close();
  }
}

/**
 * The PostgreSQL the tests run against (GATEWAY_TEST_DATABASE_URL), with a fresh schema per store
 * so tests and test files never see each other's data. Without the variable the tests skip,
 * except in CI (CI set), where a missing database is a failure.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';

export const TEST_DATABASE_URL = process.env.GATEWAY_TEST_DATABASE_URL ?? '';

/** `describe` when a test database is configured; otherwise one skipped test, or one failing test in CI. */
export function describePostgres(name: string, body: () => void): void {
  if (TEST_DATABASE_URL) {
    describe(name, body);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      it('needs a database in CI', () => {
        throw new Error('GATEWAY_TEST_DATABASE_URL is not set: CI must run the PostgreSQL tests (.ci/run starts a server and sets it)');
      });
    });
    return;
  }
  const why = 'skipped: set GATEWAY_TEST_DATABASE_URL=postgres://user:password@host:port/database to run the PostgreSQL tests';
  console.warn(`${name}: ${why}`);
  describe(name, () => {
    it.skip(why, () => undefined);
  });
}

/** The URL with its search_path set to `schema` (and any extra query parameters). */
export function urlWithSchema(schema: string, extra: Record<string, string> = {}): string {
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
  return url.toString();
}

/** Makes and drops schemas through one small pool of its own. */
export function createSchemas() {
  let pool: Pool | undefined;
  const made = new Set<string>();
  const admin = () => (pool ??= new Pool({ connectionString: TEST_DATABASE_URL, max: 2 }));
  return {
    admin,
    /** A new empty schema; returns its name. */
    async fresh(): Promise<string> {
      const schema = `mgw_test_${randomBytes(6).toString('hex')}`;
      await admin().query(`CREATE SCHEMA ${schema}`);
      made.add(schema);
      return schema;
    },
    async drop(schema: string): Promise<void> {
      made.delete(schema);
      await admin().query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
    /** Drops what is left and closes the pool. */
    async end(): Promise<void> {
      for (const schema of [...made]) await this.drop(schema);
      await pool?.end();
    },
  };
}

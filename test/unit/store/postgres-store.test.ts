import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { Pool } from 'pg';
import { auditSelect, PURGE_AUDIT } from '../../../src/store/postgres/audit-tables';
import { MIGRATIONS } from '../../../src/store/postgres/migrations';
import { openPostgresStore, PostgresStoreOptions } from '../../../src/store/postgres/postgres-store';
import { readPostgresSchema } from '../../../src/store/postgres/schema-state';
import { AuditQuery, Store, StoreTopic } from '../../../src/store/store';
import { describeStoreContract } from '../../contract/store-contract';
import { nextTopic } from '../../contract/store-fixtures';
import { createCuttableProxy } from '../../support/tcp-proxy';
import { createSchemas, describePostgres, TEST_DATABASE_URL, urlWithSchema } from './postgres-test-database';

/** A TCP server that hands each connection to `onSocket`: a silent server, or a proxy that can be cut. */
async function listen(onSocket: (socket: Socket) => void, port = 0): Promise<Server> {
  const server = createServer(onSocket);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return server;
}

const portOf = (server: Server) => (server.address() as AddressInfo).port;

/** A URL like the test database's, pointing at 127.0.0.1:port, with a password that must never show. */
function urlAt(port: number, schema = 'public'): string {
  const url = new URL(urlWithSchema(schema));
  url.hostname = '127.0.0.1';
  url.port = String(port);
  url.username = 'someone';
  url.password = 'pw-never-shown';
  return url.toString();
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

describePostgres('PostgreSQL store', () => {
  const schemas = createSchemas();
  afterAll(() => schemas.end());

  describeStoreContract('postgres', async () => {
    const schema = await schemas.fresh();
    const opened: Store[] = [await openPostgresStore(urlWithSchema(schema))];
    return {
      store: opened[0],
      reopen: async () => {
        const store = await openPostgresStore(urlWithSchema(schema));
        opened.push(store);
        return store;
      },
      cleanup: async () => {
        for (const store of opened) await store.close();
        await schemas.drop(schema);
      },
    };
  });

  describe('PostgreSQL store specifics', () => {
    const stores: Store[] = [];
    const open = async (schema: string, options: PostgresStoreOptions = {}, extra: Record<string, string> = {}) => {
      const store = await openPostgresStore(urlWithSchema(schema, extra), options);
      stores.push(store);
      return store;
    };
    const appConnections = async (applicationName: string) =>
      Number(
        (await schemas.admin().query('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName])).rows[0].n,
      );
    const until = async (check: () => Promise<boolean>, ms: number) => {
      const end = Date.now() + ms;
      while (!(await check())) {
        if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };

    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
    });

    it('records each migration once and does not re-apply them on reopen', async () => {
      const schema = await schemas.fresh();
      const first = await open(schema);
      await first.deleteTenants(['administrator']);
      await first.close();
      const second = await open(schema);
      expect(await second.listTenants()).toEqual([]);
      const { rows } = await schemas.admin().query(`SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`);
      expect(rows.map((r) => [r.version, r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    });

    it('lets instances that start at once all migrate, each version applied once', async () => {
      const schema = await schemas.fresh();
      const started = await Promise.all([open(schema), open(schema), open(schema), open(schema)]);
      for (const store of started) expect(await store.listTenants()).toEqual(['administrator']);
      const { rows } = await schemas.admin().query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      const roles = await schemas.admin().query(`SELECT name FROM ${schema}.roles ORDER BY name`);
      expect(roles.rows.map((r) => r.name)).toEqual(['admin', 'user']);
    });

    it("tells each instance about the other's writes within a second (LISTEN/NOTIFY), and the writer once", async () => {
      const schema = await schemas.fresh();
      const [a, b] = await Promise.all([open(schema), open(schema)]);
      const heardByA: StoreTopic[] = [];
      a.onChange((topic) => heardByA.push(topic));
      const atB = nextTopic(b, 'tenants', 1000);
      await a.addTenants([{ tenantId: 'acme', gatewayIds: ['gw-a1'] }]);
      await expect(atB).resolves.toBe('tenants');
      expect(await b.findGateway('gw-a1')).toEqual({ gatewayId: 'gw-a1', tenantId: 'acme' });

      const atA = nextTopic(a, 'blacklist', 1000);
      await b.addBlacklist([{ serial: 2n ** 63n - 1n, tenantId: 'acme', gatewayId: null, addedAt: 1 }]);
      await expect(atA).resolves.toBe('blacklist');
      expect((await a.listBlacklist()).map((e) => e.serial)).toEqual([2n ** 63n - 1n]);
      // A heard its own write from itself, not a second time through the database.
      expect(heardByA.filter((t) => t === 'tenants')).toEqual(['tenants']);
    });

    it('does not announce a write that rolled back', async () => {
      const schema = await schemas.fresh();
      const [a, b] = await Promise.all([open(schema), open(schema)]);
      const heard: StoreTopic[] = [];
      b.onChange((topic) => heard.push(topic));
      await expect(a.deleteTenants(['administrator', 'missing'])).rejects.toMatchObject({ code: 'ERR_TENANT_NOT_FOUND' });
      const marker = nextTopic(b, 'keys', 1000);
      await a.addSigningKey({ kid: 'k', alg: 'ES256', privateKeyPem: 'x', publicKeyPem: 'y', createdAt: 1 });
      await marker;
      expect(heard).toEqual(['keys']);
    });

    it('reconnects its listener when the connection is killed, and announces every topic', async () => {
      const schema = await schemas.fresh();
      const name = `mgw-listener-${schema}`;
      const a = await open(schema);
      const b = await open(schema, {}, { application_name: name });
      const everything = new Set<StoreTopic>();
      b.onChange((topic) => everything.add(topic));
      await schemas.admin().query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'", [name]);
      const topics: StoreTopic[] = ['tenants', 'blacklist', 'tokens', 'keys', 'certificates', 'users'];
      await until(async () => topics.every((t) => everything.has(t)), 5000);
      const atB = nextTopic(b, 'tenants', 1000);
      await a.addTenants([{ tenantId: 'after-reconnect', gatewayIds: [] }]);
      await expect(atB).resolves.toBe('tenants');
    });

    it('fails a statement that runs past the statement timeout with ERR_STORE_UNAVAILABLE, then serves again', async () => {
      const schema = await schemas.fresh();
      const store = await open(schema, { statementTimeoutMs: 300 });
      const blocker = await schemas.admin().connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query(`LOCK TABLE ${schema}.tenants IN ACCESS EXCLUSIVE MODE`);
        const started = Date.now();
        const err = await rejection(store.listTenants());
        expect(err.code).toBe('ERR_STORE_UNAVAILABLE');
        expect(Date.now() - started).toBeLessThan(3000);
        await blocker.query('ROLLBACK');
      } finally {
        blocker.release();
      }
      expect(await store.listTenants()).toEqual(['administrator']);
    });

    it('fails fast with ERR_STORE_UNAVAILABLE against a closed port, naming no credentials', async () => {
      const probe = await listen((s) => s.destroy());
      const port = portOf(probe);
      await new Promise((r) => probe.close(r));
      const started = Date.now();
      const err = await rejection(openPostgresStore(urlAt(port)));
      expect(err.code).toBe('ERR_STORE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(2000);
      // Clients may read the message: it says what is wrong but not where the database is; the cause (logged) does.
      expect(err.message).toMatch(/^the database is unavailable: /);
      expect(err.message).not.toContain('127.0.0.1');
      const cause = (err as { cause?: Error }).cause;
      expect(String(cause?.message)).toContain(`127.0.0.1:${port}`);
      expect(`${err.message} ${cause?.message}`).not.toMatch(/pw-never-shown|someone/);
    });

    it('gives up on a server that accepts but never answers, within the connect timeout', async () => {
      const held: Socket[] = [];
      const silent = await listen((s) => held.push(s));
      try {
        const started = Date.now();
        const err = await rejection(openPostgresStore(urlAt(portOf(silent)), { connectTimeoutMs: 300 }));
        expect(err.code).toBe('ERR_STORE_UNAVAILABLE');
        expect(Date.now() - started).toBeLessThan(3000);
        expect(err.message).not.toMatch(/pw-never-shown/);
      } finally {
        for (const s of held) s.destroy();
        await new Promise((r) => silent.close(r));
      }
    });

    it('fails fast while the database is unreachable and recovers by itself when it returns', async () => {
      const schema = await schemas.fresh();
      const target = new URL(TEST_DATABASE_URL);
      const proxy = await createCuttableProxy(target.hostname, Number(target.port || 5432));
      const url = new URL(urlWithSchema(schema));
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      const store = await openPostgresStore(url.toString(), { connectTimeoutMs: 1000 });
      stores.push(store);
      await store.addTenants([{ tenantId: 'acme', gatewayIds: [] }]);

      await proxy.cut();
      const started = Date.now();
      await expect(store.listTenants()).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      await expect(store.addTenants([{ tenantId: 'lost', gatewayIds: [] }])).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(3000);

      await proxy.restore();
      try {
        await until(async () => (await store.listTenants().catch(() => [])).length > 0, 5000);
        expect(await store.listTenants()).toEqual(['acme', 'administrator']);
      } finally {
        await store.close();
        await proxy.cut();
      }
    });

    it('answers audit list (each filter, each page) and the retention purge from the time index: no table scan, no sort', async () => {
      const schema = await schemas.fresh();
      const store = await open(schema);
      const T = 1_750_000_000_000;
      await store.recordAudits(Array.from({ length: 20_000 }, (_v, i) => ({ at: T + i * 1000, event: 'login', outcome: 'success', dialect: 'grpc', username: null, tenantId: `t${i % 20}`, address: null, detail: null, actor: 'cert:1' })));
      const db = new Pool({ connectionString: urlWithSchema(schema), max: 1 });
      try {
        await db.query('ANALYZE audit_events');
        const plan = async (sql: string, params: unknown[]) => ((await db.query(`EXPLAIN ${sql}`, params)).rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
        const queries: AuditQuery[] = [
          { limit: 51 },
          { limit: 51, since: T + 19_990_000 },
          { limit: 51, since: T },
          { limit: 51, since: T + 19_990_000, tenantId: 't1', kind: 'login', outcome: 'refused', actor: 'cert' },
          { limit: 51, beforeId: 10_000 },
          { limit: 51, beforeId: 10_000, since: T + 9_000_000, tenantId: 't1' },
        ];
        for (const { sql, params } of queries.map((q) => auditSelect(q))) {
          const p = await plan(sql, params);
          expect(p).toMatch(/Index (Only )?Scan( Backward)? using audit_events_by_time/);
          expect(p).not.toMatch(/Seq Scan|Sort/);
        }
        // The purge finds its rows by the index; joining them back is the planner's choice by size (a hash join here).
        const purge = await plan(PURGE_AUDIT, [T + 5_000_000, 1000]);
        expect(purge).toMatch(/Limit[^\n]*\n\s*->  Index (Only )?Scan using audit_events_by_time/);
        expect(purge).not.toMatch(/Sort/);
      } finally {
        await db.end();
      }
    });

    it('reads the schema version of an older schema without migrating it (doctor), and of an empty one without creating anything', async () => {
      const latest = Math.max(...MIGRATIONS.map((m) => m.version));
      const schema = await schemas.fresh();
      expect(await readPostgresSchema(urlWithSchema(schema))).toEqual({ version: 0, latest });
      expect((await schemas.admin().query('SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1', [schema])).rows[0].n).toBe(0);

      const db = new Pool({ connectionString: urlWithSchema(schema), max: 1 });
      try {
        await db.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
        for (const m of MIGRATIONS.filter((m) => m.version <= 7)) {
          await db.query(m.sql);
          await db.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
        }
      } finally {
        await db.end();
      }
      expect(await readPostgresSchema(urlWithSchema(schema))).toEqual({ version: 7, latest, tenants: 1 });
      const { rows } = await schemas.admin().query(`SELECT max(version) AS v FROM ${schema}.schema_migrations`);
      expect(rows[0].v).toBe(7);
      const audit = await schemas.admin().query('SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = $1 AND indexname = $2', [schema, 'audit_events_by_time']);
      expect(audit.rows[0].n).toBe(0);
    });

    it('close() ends the pool and the listener', async () => {
      const schema = await schemas.fresh();
      const name = `mgw-close-${schema}`;
      const store = await openPostgresStore(urlWithSchema(schema, { application_name: name }));
      await Promise.all([store.listTenants(), store.listGateways(), store.listSigningKeys()]);
      expect(await appConnections(name)).toBeGreaterThanOrEqual(2);
      await store.close();
      await until(async () => (await appConnections(name)) === 0, 3000);
    });
  });
});

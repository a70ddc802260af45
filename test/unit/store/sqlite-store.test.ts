import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../../../src/store/sqlite/migrations';
import { auditSelect, PURGE_AUDIT } from '../../../src/store/sqlite/audit-tables';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { createStatements } from '../../../src/store/sqlite/statements';
import { AuditQuery, Store } from '../../../src/store/store';
import { tokenRecord, userRecord } from '../../contract/identity-contract';
import { describeStoreContract } from '../../contract/store-contract';
import { certRecord, keyRecord, nextTopic, snapshot } from '../../contract/store-fixtures';

const root = mkdtempSync(join(tmpdir(), 'mgw-sqlite-'));
let fileCount = 0;
const freshFile = () => join(root, `store-${++fileCount}`, 'gateway.db');

afterAll(() => rmSync(root, { recursive: true, force: true }));

describeStoreContract('sqlite', async () => {
  const file = freshFile();
  const opened: Store[] = [openSqliteStore(file, { pollMs: 0 })];
  return {
    store: opened[0],
    reopen: async () => {
      const store = openSqliteStore(file, { pollMs: 0 });
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
    },
  };
});

/** Every row of every table, read beside the store through a separate connection. */
function dumpTables(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1`).all()]));
  } finally {
    db.close();
  }
}

describe('SQLite store specifics', () => {
  const stores: Store[] = [];
  const open = (file: string, pollMs = 0) => {
    const store = openSqliteStore(file, { pollMs });
    stores.push(store);
    return store;
  };

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  it('records every migration in schema_migrations and does not re-apply them on reopen', async () => {
    const file = freshFile();
    const first = open(file);
    const applied = dumpTables(file).schema_migrations as { version: number; name: string; applied_at: number }[];
    expect(applied.map((m) => [m.version, m.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));

    // Migration 1 inserts the administrator tenant: if it ran again, the tenant would come back.
    await first.deleteTenants(['administrator']);
    await first.close();
    const second = open(file);
    expect(await second.listTenants()).toEqual([]);
    expect(dumpTables(file).schema_migrations).toEqual(applied);
  });

  it('prepares the statements of a refresh, a rotation and an audit event once, not on every call', async () => {
    const store = openSqliteStore(freshFile(), { pollMs: 0 });
    stores.push(store);
    await store.addTenants([{ tenantId: 'acme', gatewayIds: [] }]);
    const user = userRecord({ tenantId: 'acme' });
    await store.addUser(user);
    const at = 1_750_000_000;
    const calls = async (n: number) => {
      const token = tokenRecord({ userId: user.userId, familyId: `fam-${n}` });
      await store.addRefreshToken(token);
      await store.findRefreshToken(token.tokenHash);
      await store.spendRefreshToken(token.tokenHash, at);
      await store.findUser(user.userId);
      await store.findUserByName(user.username);
      await store.isTokenRevoked(`jti-${n}`);
      await store.recordAudit({ at, event: 'refresh', outcome: 'success', dialect: 'datarhei', username: user.username, tenantId: 'acme', address: null, detail: null });
    };
    await calls(0);
    const prepare = jest.spyOn(store.db, 'prepare');
    try {
      for (let n = 1; n <= 3; n++) await calls(n);
      expect(prepare).not.toHaveBeenCalled();
    } finally {
      prepare.mockRestore();
    }
  });

  it('commits the writes asked for in one turn of the event loop together, each answered after the commit', async () => {
    const store = openSqliteStore(freshFile(), { pollMs: 0 });
    stores.push(store);
    await store.addTenants([{ tenantId: 'acme', gatewayIds: [] }]);
    const user = userRecord({ tenantId: 'acme' });
    await store.addUser(user);
    // Commits are counted as WAL frames (each commit writes its pages anew): no checkpoint may empty the WAL meanwhile.
    store.db.pragma('wal_autocheckpoint = 0');
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const frames = () => (store.db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0].log;
    const at = 1_750_000_000;
    const event = (i: number) => ({ at, event: 'refresh' as const, outcome: 'success' as const, dialect: 'datarhei', username: `u${i}`, tenantId: 'acme', address: null, detail: null });
    const tokens = Array.from({ length: 20 }, (_v, i) => tokenRecord({ userId: user.userId, familyId: `fam-g${i}` }));
    const writes = [...tokens.map((t) => store.addRefreshToken(t)), ...Array.from({ length: 40 }, (_v, i) => store.recordAudit(event(i)))];
    expect(store.db.prepare('SELECT count(*) AS n FROM audit_events').get()).toEqual({ n: 0 });
    await Promise.all(writes);
    const together = frames();
    expect(store.db.prepare('SELECT count(*) AS n FROM audit_events').get()).toEqual({ n: 40 });

    store.db.pragma('wal_checkpoint(TRUNCATE)');
    for (let i = 0; i < 10; i++) await store.recordAudit(event(i));
    // Ten commits, one after the other, write at least a frame each; sixty writes in one commit wrote fewer than that.
    expect(frames()).toBeGreaterThanOrEqual(10);
    expect(together).toBeLessThan(10);
  });

  it('keeps the savepoint journal of each group-committed write in memory, not in a temporary file', () => {
    const store = openSqliteStore(freshFile(), { pollMs: 0 });
    stores.push(store);
    // 2 = MEMORY: past 64 KiB the journal would spill to a file, ~7 pwrites a rotation (bench/README.md, issue 13, "schema").
    expect(store.db.pragma('temp_store', { simple: true })).toBe(2);
  });

  it('keeps a bounded number of statements, each mode (plain, pluck) apart', () => {
    const db = new Database(':memory:');
    try {
      const prepare = jest.spyOn(db, 'prepare');
      const { sql, pluck } = createStatements(db, 2);
      expect(sql('SELECT 1 AS one').get()).toEqual({ one: 1 });
      expect(pluck('SELECT 1 AS one').get()).toBe(1);
      expect(sql('SELECT 1 AS one').get()).toEqual({ one: 1 });
      expect(prepare).toHaveBeenCalledTimes(2);
      sql('SELECT 2');
      sql('SELECT 3'); // past the bound: the oldest plain one goes
      sql('SELECT 1 AS one');
      expect(prepare).toHaveBeenCalledTimes(5);
    } finally {
      db.close();
    }
  });

  it('reports a file it cannot open as ERR_STORE_UNAVAILABLE', () => {
    const dir = join(root, 'a-directory.db');
    mkdirSync(dir, { recursive: true });
    expect(() => openSqliteStore(dir)).toThrow(expect.objectContaining({ code: 'ERR_STORE_UNAVAILABLE' }));
  });

  it('tells a second instance on the same file about the first one’s writes', async () => {
    const file = freshFile();
    const writer = open(file, 0);
    const reader = open(file, 10);
    const seen = nextTopic(reader, 'tenants', 10_000);
    await writer.addTenants([{ tenantId: 'acme', gatewayIds: ['gw-a1'] }]);
    await expect(seen).resolves.toBe('tenants');
    expect(await reader.findGateway('gw-a1')).toEqual({ gatewayId: 'gw-a1', tenantId: 'acme' });
  });

  it.each([
    ['addTenants whose second tenant exists', 'ERR_ALREADY_EXISTS', (s: Store) => s.addTenants([{ tenantId: 'new-1', gatewayIds: ['gw-n1'] }, { tenantId: 'acme', gatewayIds: [] }])],
    ['addTenants whose second gateway is taken', 'ERR_ALREADY_EXISTS', (s: Store) => s.addTenants([{ tenantId: 'new-1', gatewayIds: ['gw-n1', 'gw-a1'] }])],
    ['deleteTenants whose second tenant is missing', 'ERR_TENANT_NOT_FOUND', (s: Store) => s.deleteTenants(['acme', 'missing'])],
    ['deleteGateways whose second gateway is foreign', 'ERR_GATEWAY_NOT_FOUND', (s: Store) => s.deleteGateways([{ gatewayId: 'gw-a1', tenantId: 'acme' }, { gatewayId: 'gw-g1', tenantId: 'acme' }])],
  ])('a batch failing mid-way (%s) leaves the file exactly as before', async (_what, code, batch) => {
    const file = freshFile();
    const store = open(file);
    await store.addTenants([
      { tenantId: 'acme', gatewayIds: ['gw-a1', 'gw-a2'] },
      { tenantId: 'globex', gatewayIds: ['gw-g1'] },
    ]);
    await store.recordCertificate(certRecord({ tenantId: 'acme' }));
    await store.addSigningKey(keyRecord('kid-1', 1));
    const before = { listed: await snapshot(store), rows: dumpTables(file) };
    await expect(batch(store)).rejects.toMatchObject({ code });
    expect(await snapshot(store)).toEqual(before.listed);
    expect(dumpTables(file)).toEqual(before.rows);
  });

  it('answers audit list (each filter, each page) and the retention purge from the time index: no table scan, no sort', async () => {
    const file = freshFile();
    const store = open(file);
    const T = 1_750_000_000_000;
    await store.recordAudits(Array.from({ length: 2000 }, (_v, i) => ({ at: T + i * 1000, event: 'login', outcome: 'success', dialect: 'grpc', username: null, tenantId: `t${i % 20}`, address: null, detail: null, actor: 'cert:1' })));
    const db = new Database(file, { readonly: true });
    try {
      const plan = (sql: string, params: unknown[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
      const queries: AuditQuery[] = [
        { limit: 51 },
        { limit: 51, since: T + 1_990_000 },
        { limit: 51, since: T },
        { limit: 51, since: T + 1_990_000, tenantId: 't1', kind: 'login', outcome: 'refused', actor: 'cert' },
        { limit: 51, beforeId: 1000 },
        { limit: 51, beforeId: 1000, since: T + 900_000, tenantId: 't1' },
      ];
      const plans = [...queries.map((q) => auditSelect(q)).map(({ sql, params }) => plan(sql, params)), plan(PURGE_AUDIT, [T + 500_000, 1000])];
      for (const p of plans) {
        expect(p.join(' | ')).toMatch(/USING (COVERING )?INDEX audit_events_by_time/);
        expect(p.filter((line) => /TEMP B-TREE|^SCAN audit_events$/.test(line))).toEqual([]);
      }
    } finally {
      db.close();
    }
  });

  describe('files deleted or replaced under an open store', () => {
    it.each(['gateway.db', 'gateway.db-wal', 'gateway.db-shm'])('refuses every call once %s was deleted, and acknowledges nothing', async (name) => {
      const file = freshFile();
      const store = open(file);
      await store.addTenants([{ tenantId: 'before', gatewayIds: [] }]);
      rmSync(join(file, '..', name));
      await expect(store.addTenants([{ tenantId: 'after', gatewayIds: [] }])).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      await expect(store.listTenants()).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      await expect(store.ping()).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      await expect(store.recordAudit({ at: 1, event: 'login', outcome: 'success', dialect: 'x', username: null, tenantId: null, address: null, detail: null })).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
      });
    });

    it('notices the WAL of a store reopened with nothing to migrate', async () => {
      const file = freshFile();
      await open(file).close();
      const store = open(file);
      rmSync(`${file}-wal`);
      await expect(store.addTenants([{ tenantId: 'after', gatewayIds: [] }])).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    });

    it('refuses a database file replaced by another (a backup copied over it)', async () => {
      const file = freshFile();
      const store = open(file);
      copyFileSync(file, `${file}.backup`);
      renameSync(`${file}.backup`, file);
      await expect(store.ping()).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      await expect(store.addTenants([{ tenantId: 'after', gatewayIds: [] }])).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    });
  });
});

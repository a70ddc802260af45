/**
 * The embedded store's audit writes (sqlite/audit-tables.ts): the events of one turn of the event
 * loop go in one write, each caller resolving only once that write committed; past MAX_AUDIT_BATCH
 * events another write starts; a refused group is written again event by event, so only a bad event
 * is refused. The tables run over a real migrated database, their `write` counted (and held on ask).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_AUDIT_BATCH } from '../../../src/store/audit-batches';
import { auditTables } from '../../../src/store/sqlite/audit-tables';
import { openSqliteStore, SqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { createStatements } from '../../../src/store/sqlite/statements';
import { AuditEvent } from '../../../src/store/store';

const refreshOf = (username: string): AuditEvent => ({ at: 1_800_000_000_000, event: 'refresh', outcome: 'success', dialect: 'datarhei', username, tenantId: 'acme', address: '192.0.2.40', detail: null });

let store: SqliteStore;
beforeEach(() => {
  store = openSqliteStore(':memory:', { pollMs: 0 });
});
afterEach(() => store.close());

/** The audit tables over the store's database; each write's events listed, held until `release`, refused when `refuse` says. */
function counted(options: { refuse?: (username: string) => boolean } = {}) {
  const writes: string[][] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const db = store.db;
  const rows = () => db.prepare('SELECT username FROM audit_events ORDER BY id').pluck().all() as string[];
  const tables = auditTables({
    db,
    ...createStatements(db),
    write: async (_topics, fn) => {
      await held;
      return db.transaction(() => {
        const before = rows().length;
        const value = fn(db);
        const added = rows().slice(before);
        if (options.refuse && added.some(options.refuse)) throw new Error('refused');
        writes.push(added);
        return value;
      })();
    },
  });
  return { audit: tables.store, writes, release };
}

it('writes the events of one turn in one write, and answers each caller only once it committed', async () => {
  const { audit, writes, release } = counted();
  let answered = 0;
  const calls = ['ann', 'bob', 'cid'].map((name) => audit.recordAudit(refreshOf(name)).then(() => answered++));
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  expect(answered).toBe(0);
  release();
  await Promise.all(calls);
  expect(writes).toEqual([['ann', 'bob', 'cid']]);
  expect((await audit.listAudit(10)).map((e) => e.username).sort()).toEqual(['ann', 'bob', 'cid']);
});

it(`starts another write past ${MAX_AUDIT_BATCH} events of a turn`, async () => {
  const { audit, writes, release } = counted();
  release();
  await Promise.all(Array.from({ length: MAX_AUDIT_BATCH + 3 }, (_, i) => audit.recordAudit(refreshOf(`u${i}`))));
  expect(writes.map((w) => w.length)).toEqual([MAX_AUDIT_BATCH, 3]);
  expect(await audit.listAudit(1000)).toHaveLength(MAX_AUDIT_BATCH + 3);
});

it('writes a refused group again event by event: only the bad event is refused, the others keep their rows', async () => {
  const { audit, release } = counted({ refuse: (username) => username === 'bad' });
  release();
  const results = await Promise.allSettled(['ann', 'bad', 'cid'].map((name) => audit.recordAudit(refreshOf(name))));
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect((await audit.listAudit(10)).map((e) => e.username).sort()).toEqual(['ann', 'cid']);
});

it('close writes the events recorded before it, and their callers hear so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mgw-audit-close-'));
  try {
    const file = join(dir, 'gateway.db');
    const closing = openSqliteStore(file, { pollMs: 0 });
    const recorded = Promise.all(['ann', 'bob'].map((name) => closing.recordAudit(refreshOf(name))));
    await closing.close();
    await expect(recorded).resolves.toEqual([undefined, undefined]);
    const reopened = openSqliteStore(file, { pollMs: 0 });
    expect((await reopened.listAudit(10)).map((e) => e.username).sort()).toEqual(['ann', 'bob']);
    await reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

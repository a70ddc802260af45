import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditEvent } from '../../../src/store/parts/audit-store';
import { openSqliteStore, SqliteStore } from '../../../src/store/sqlite/sqlite-store';

/**
 * The WAL checkpoints of the server's store run in a worker thread (wal-checkpointer.ts). Small
 * limits here: the worker is asked past 64 KiB of WAL; the main connection's own auto-checkpoint
 * (the fail-safe) is far away unless a test sets it near.
 */
const LIMIT = 64 * 1024;
const PAGE = 4096 + 24; // a WAL frame
/** The worker's busy timeout: longer than any test, so a slow host changes nothing (the gateway's own is 5 s). */
const BUSY_MS = 4000;

const root = mkdtempSync(join(tmpdir(), 'mgw-wal-'));
let count = 0;
const freshFile = () => join(root, `wal-${++count}`, 'gateway.db');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const event = (i: number): AuditEvent => ({
  at: 1_700_000_000_000 + i,
  event: 'login',
  outcome: 'success',
  dialect: 'datarhei',
  // A few hundred bytes a row: every commit writes new pages, as the gateway's writes do.
  username: `user-${i}-${'x'.repeat(400)}`,
  tenantId: 'tenant',
  address: '127.0.0.1',
  detail: null,
});

const walSize = (file: string) => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

/** `commits` separate commits (each awaited, so none share a transaction); the largest -wal file seen after any of them. */
async function write(store: SqliteStore, file: string, commits: number, from = 0): Promise<number> {
  let largest = 0;
  for (let i = from; i < from + commits; i++) {
    await store.recordAudits([event(i * 4), event(i * 4 + 1), event(i * 4 + 2), event(i * 4 + 3)]);
    largest = Math.max(largest, walSize(file));
  }
  return largest;
}

describe('WAL checkpoints in a worker thread', () => {
  const stores: SqliteStore[] = [];
  const open = (file: string, hardPages: number) => {
    const store = openSqliteStore(file, { pollMs: 0, checkpointInWorker: { walBytes: LIMIT, hardPages, busyMs: BUSY_MS } });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  it('checkpoints from the worker: the WAL file is emptied and starts over, the rows reach the database file', async () => {
    const file = freshFile();
    // The main connection would not checkpoint before 100,000 pages (400 MB): any checkpoint seen here is the worker's.
    const store = open(file, 100_000);
    const dbBefore = statSync(file).size;
    // 600 commits of 4 rows of ~500 bytes: over 300 pages of WAL without checkpoints.
    await write(store, file, 600);
    await store.checkpointer!.settled();
    expect(store.checkpointer!.checkpoints).toBeGreaterThan(0);
    // Each second pass took the write lock (the gateway's writes waited for it) and copied the whole WAL.
    expect(store.checkpointer!.emptied).toBe(store.checkpointer!.checkpoints);
    await write(store, file, 1, 600);
    expect(walSize(file)).toBeLessThanOrEqual(LIMIT + 16 * PAGE);
    expect(statSync(file).size).toBeGreaterThan(dbBefore + 100 * 4096);
    expect(store.db.prepare('SELECT count(*) FROM audit_events').pluck().get()).toBe(2404);
  });

  it('holds the WAL to the main connection\'s own auto-checkpoint once the worker is gone', async () => {
    const file = freshFile();
    const store = open(file, 40);
    await store.checkpointer!.worker.terminate();
    const largest = await write(store, file, 600);

    expect(store.checkpointer!.checkpoints).toBe(0);
    // Without any checkpoint the WAL would pass 300 pages; the fail-safe starts it over past 40.
    expect(largest).toBeLessThan(LIMIT + (40 + 16) * PAGE);
    expect(store.db.prepare('SELECT count(*) FROM audit_events').pluck().get()).toBe(2400);
  });

  it('closes the worker before the main connection, which checkpoints the whole WAL and deletes it', async () => {
    const file = freshFile();
    const store = openSqliteStore(file, { pollMs: 0, checkpointInWorker: { walBytes: LIMIT, hardPages: 100_000, busyMs: BUSY_MS } });
    await write(store, file, 100);
    const exited = new Promise((resolve) => store.checkpointer!.worker.once('exit', resolve));
    await store.close();
    await exited;

    expect(walSize(file)).toBe(0);
    // Everything is in the database file itself: read with the WAL out of the way.
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT count(*) FROM audit_events').pluck().get()).toBe(400);
    } finally {
      db.close();
    }
  });
  describe('while a reader in another connection is still on the WAL', () => {
    // Asked only by the test (committed() past a limit no write reaches): the worker's second pass
    // takes the write lock, then waits for that reader (up to its busy timeout) before it empties the WAL.
    const HUGE = 2 ** 40;
    let reader: Database.Database;
    let probe: Database.Database;
    const count = (store: SqliteStore) => store.db.prepare('SELECT count(*) FROM audit_events').pluck().get();
    const ticks = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 1));
    };
    /** True while another connection (the worker) holds the write lock. */
    const lockTaken = () => {
      try {
        probe.exec('BEGIN IMMEDIATE');
        probe.exec('ROLLBACK');
        return false;
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
        throw err;
      }
    };
    async function readerOnTheWal(busyMs: number) {
      const file = freshFile();
      const store = openSqliteStore(file, { pollMs: 0, checkpointInWorker: { walBytes: HUGE, hardPages: 100_000, busyMs } });
      stores.push(store);
      await write(store, file, 5);
      reader = new Database(file);
      reader.exec('BEGIN');
      expect(reader.prepare('SELECT count(*) FROM audit_events').pluck().get()).toBe(20);
      probe = new Database(file);
      probe.pragma('busy_timeout = 0');
      // Written after the reader's snapshot: the first pass cannot copy these while it reads.
      await write(store, file, 5, 5);
      store.checkpointer!.committed(HUGE + 1);
      return { store, file };
    }
    afterEach(() => {
      if (reader.inTransaction) reader.exec('COMMIT');
      reader.close();
      probe.close();
    });

    it('the gateway\'s writes wait on later turns of the event loop while the worker holds the write lock, and land once the WAL is emptied', async () => {
      const { store, file } = await readerOnTheWal(BUSY_MS);
      while (!lockTaken()) await ticks(1);

      const order: string[] = [];
      const written = store.recordAudits([event(1000)]).then(() => order.push('written'));
      // The event loop turns and reads answer; the write has not run.
      await ticks(20);
      expect(count(store)).toBe(40);
      expect(order).toEqual([]);

      order.push('reader done');
      reader.exec('COMMIT');
      await written;
      await store.checkpointer!.settled();
      expect(order).toEqual(['reader done', 'written']);
      expect(store.checkpointer!.emptied).toBe(1);
      expect(count(store)).toBe(41);
      // Emptied, then only the write after it: a few pages.
      expect(walSize(file)).toBeLessThanOrEqual(16 * PAGE);
    });

    it('gives up the second pass after its busy timeout and lets the writes go on; the WAL is left for the next checkpoint', async () => {
      const { store, file } = await readerOnTheWal(50);
      await store.checkpointer!.settled();
      expect(store.checkpointer!.checkpoints).toBe(1);
      expect(store.checkpointer!.emptied).toBe(0);
      const before = walSize(file);
      expect(before).toBeGreaterThan(0);

      // The reader is still there: the gateway writes on (the lock is free again), the WAL grows.
      expect(lockTaken()).toBe(false);
      await write(store, file, 5, 10);
      expect(walSize(file)).toBeGreaterThan(before);
      expect(count(store)).toBe(60);

      // With the reader gone the next one empties it.
      reader.exec('COMMIT');
      store.checkpointer!.committed(HUGE * 3);
      await store.checkpointer!.settled();
      expect(store.checkpointer!.emptied).toBe(1);
      expect(walSize(file)).toBe(0);
    });
  });
});

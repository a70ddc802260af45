import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditEvent } from '../../../src/store/parts/audit-store';
import { openSqliteStore, SqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { eventually } from '../../support/eventually';

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
    // A second pass took the write lock (the gateway's writes waited for it) and copied the whole WAL.
    expect(store.checkpointer!.emptied).toBeGreaterThan(0);
    // The last checkpoint may have ended behind the writes (a loaded host: they went on while it ran,
    // and the next checkpoint takes the tail); one more, with nothing writing, empties the WAL.
    store.checkpointer!.committed(Number.MAX_SAFE_INTEGER);
    await store.checkpointer!.settled();
    await write(store, file, 1, 600);
    expect(walSize(file)).toBeLessThanOrEqual(LIMIT + 16 * PAGE);
    expect(statSync(file).size).toBeGreaterThan(dbBefore + 100 * 4096);
    expect(store.db.prepare('SELECT count(*) FROM audit_events').pluck().get()).toBe(2404);
    // The worker starts the WAL over by writing user_version as it was: nothing changes.
    expect(store.db.pragma('user_version', { simple: true })).toBe(0);
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

  it('fsyncs the WAL soon after commits (one sync for a burst of them, none while nothing is written), short of any checkpoint', async () => {
    const file = freshFile();
    // No checkpoint in this test (the WAL never reaches the limit): every fsync counted is a WAL sync.
    const store = openSqliteStore(file, { pollMs: 0, checkpointInWorker: { walBytes: 64 * 1024 * 1024, hardPages: 100_000, busyMs: BUSY_MS, syncMs: 100 } });
    stores.push(store);
    const checkpointer = store.checkpointer!;
    expect(checkpointer.syncs).toBe(0);
    await write(store, file, 20);
    await eventually(async () => checkpointer.syncs >= 1);
    // Twenty commits within far less than 20 × 100 ms: a sync per window, not one per commit.
    expect(checkpointer.syncs).toBeLessThan(20);
    // Nothing written since: no sync is asked for.
    await new Promise((r) => setTimeout(r, 300));
    const quiet = checkpointer.syncs;
    await new Promise((r) => setTimeout(r, 300));
    expect(checkpointer.syncs).toBe(quiet);
    await write(store, file, 1, 100);
    await eventually(async () => checkpointer.syncs === quiet + 1);
    expect(checkpointer.checkpoints).toBe(0);
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
  describe('beside another connection on the file', () => {
    // Asked only by the test (committed() past a limit no write reaches).
    const HUGE = 2 ** 40;
    let other: Database.Database;
    const count = (store: SqliteStore) => store.db.prepare('SELECT count(*) FROM audit_events').pluck().get();
    const ticks = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 1));
    };
    async function storeWithWal(busyMs: number) {
      const file = freshFile();
      const store = openSqliteStore(file, { pollMs: 0, checkpointInWorker: { walBytes: HUGE, hardPages: 100_000, busyMs } });
      stores.push(store);
      await write(store, file, 5);
      other = new Database(file);
      other.pragma('busy_timeout = 0');
      return { store, file };
    }
    afterEach(() => {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    });

    it('skips the second pass while a reader still needs old WAL pages: it never holds the write lock for it, the writes go on', async () => {
      // A second pass would wait for the reader for ever, holding the write lock: the writes below
      // would be refused after the gateway's busy timeout (5 s).
      const { store, file } = await storeWithWal(600_000);
      other.exec('BEGIN');
      expect(other.prepare('SELECT count(*) FROM audit_events').pluck().get()).toBe(20);
      // Written after the reader's snapshot: the first pass cannot copy these while it reads.
      await write(store, file, 5, 5);
      const before = walSize(file);
      store.checkpointer!.committed(HUGE + 1);
      await write(store, file, 5, 10);
      expect(walSize(file)).toBeGreaterThan(before);
      expect(count(store)).toBe(60);
      await store.checkpointer!.settled();
      expect(store.checkpointer!.checkpoints).toBe(1);
      expect(store.checkpointer!.emptied).toBe(0);

      // With the reader gone the next one empties it.
      other.exec('COMMIT');
      store.checkpointer!.committed(HUGE * 3);
      await store.checkpointer!.settled();
      expect(store.checkpointer!.emptied).toBe(1);
      // Emptied, then started over by the worker's own commit: the header and a page.
      expect(walSize(file)).toBeLessThanOrEqual(32 + PAGE);
    });

    it('gives up the second pass when the write lock stays taken past its busy timeout; the gateway\'s writes wait meanwhile without stopping the event loop, and land', async () => {
      const { store, file } = await storeWithWal(50);
      other.exec('BEGIN IMMEDIATE');
      store.checkpointer!.committed(HUGE + 1);
      const order: string[] = [];
      const written = store.recordAudits([event(1000)]).then(() => order.push('written'));
      await store.checkpointer!.settled();
      expect(store.checkpointer!.emptied).toBe(0);
      // The first pass copied everything (no reader): the WAL is still there, for the next checkpoint.
      expect(walSize(file)).toBeGreaterThan(0);
      await ticks(20);
      expect(order).toEqual([]);
      expect(count(store)).toBe(20);

      order.push('released');
      other.exec('COMMIT');
      await written;
      expect(order).toEqual(['released', 'written']);
      expect(count(store)).toBe(21);
      store.checkpointer!.committed(HUGE * 3);
      await store.checkpointer!.settled();
      expect(store.checkpointer!.emptied).toBe(1);
    });
  });
});

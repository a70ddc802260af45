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
/** Writes wait for the worker's answer this long at most: longer than any test, so a slow host changes nothing. */
const HOLD_MS = 600_000;

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
    const store = openSqliteStore(file, { pollMs: 0, checkpointInWorker: { walBytes: LIMIT, hardPages, holdMs: HOLD_MS } });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  it('checkpoints from the worker: the WAL starts over and is cut back to the limit, the rows reach the database file', async () => {
    const file = freshFile();
    // The main connection would not checkpoint before 100,000 pages (400 MB): any checkpoint seen here is the worker's.
    const store = open(file, 100_000);
    const dbBefore = statSync(file).size;
    // 600 commits of 4 rows of ~500 bytes: over 300 pages of WAL without checkpoints.
    await write(store, file, 600);
    await store.checkpointer!.settled();
    expect(store.checkpointer!.checkpoints).toBeGreaterThan(0);
    // The last checkpoint copied the whole WAL (the writes were held for it) and the worker started the WAL over.
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

  it('closes the worker before the main connection, which checkpoints the whole WAL and deletes it', async () => {
    const file = freshFile();
    const store = openSqliteStore(file, { pollMs: 0, checkpointInWorker: { walBytes: LIMIT, hardPages: 100_000, holdMs: HOLD_MS } });
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
});

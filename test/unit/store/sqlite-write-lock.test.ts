import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, SqliteStore } from '../../../src/store/sqlite/sqlite-store';

/**
 * Another process on the same database file (the other worker of `serve --workers`, a CLI command)
 * holding SQLite's write lock must not stop this process's event loop: its writes wait on later turns
 * of the loop, land once the lock is free, and are refused as unavailable after the busy timeout.
 */
const root = mkdtempSync(join(tmpdir(), 'mgw-write-lock-'));
let fileCount = 0;
const freshFile = () => join(root, `store-${++fileCount}`, 'gateway.db');

// The holder: another process, its own connection, BEGIN IMMEDIATE until told to commit.
const HOLDER = `
const db = new (require('better-sqlite3'))(process.argv[1]);
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); process.exit(0); });
`;

interface Holder {
  release(): Promise<void>;
}

async function holdWriteLock(file: string): Promise<Holder> {
  const child: ChildProcess = spawn(process.execPath, ['-e', HOLDER, file], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] });
  holders.push(child);
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  expect(line.toString()).toBe('locked\n');
  return {
    async release() {
      const exited = once(child, 'exit');
      child.stdin!.write('commit\n');
      expect(await exited).toEqual([0, null]);
    },
  };
}

const holders: ChildProcess[] = [];
const stores: SqliteStore[] = [];
const open = (file: string) => {
  const store = openSqliteStore(file, { pollMs: 0 });
  stores.push(store);
  return store;
};

/** Resolves once `n` timer ticks have run: the event loop kept turning meanwhile. */
function ticks(n: number): Promise<void> {
  return new Promise((resolve) => {
    let count = 0;
    const timer = setInterval(() => {
      if (++count < n) return;
      clearInterval(timer);
      resolve();
    }, 1);
  });
}

afterEach(async () => {
  for (const child of holders.splice(0)) if (child.exitCode === null) child.kill();
  for (const store of stores.splice(0)) await store.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SQLite store while another process holds the write lock', () => {
  it('keeps the event loop turning and reads answering while a write waits, and commits the write once the lock is free', async () => {
    const file = freshFile();
    const store = open(file);
    const holder = await holdWriteLock(file);

    const order: string[] = [];
    const written = store.addTenants([{ tenantId: 'acme', gatewayIds: ['gw-a1'] }]).then(
      () => order.push('written'),
      (err: unknown) => order.push(`refused: ${(err as Error).message}`),
    );
    // SQLite's own busy handler would sleep inside BEGIN on this thread for up to the busy timeout (5 s):
    // no timer would tick and no read would answer until the write was refused.
    await ticks(50);
    expect(await store.findGateway('gw-a1')).toBeUndefined();
    expect(order).toEqual([]);
    expect(store.db.inTransaction).toBe(false);

    order.push('released');
    await holder.release();
    await written;
    expect(order).toEqual(['released', 'written']);
    expect(await store.findGateway('gw-a1')).toEqual({ gatewayId: 'gw-a1', tenantId: 'acme' });
  });

  it('refuses the waiting writes as ERR_STORE_UNAVAILABLE once the busy timeout has passed, with nothing written, and writes again afterwards', async () => {
    const file = freshFile();
    const store = open(file);
    store.db.pragma('busy_timeout = 100');
    const holder = await holdWriteLock(file);

    const first = store.addTenants([{ tenantId: 'acme', gatewayIds: ['gw-a1'] }]);
    first.catch(() => undefined); // checked below
    await ticks(5);
    // Asked while the first waits: it joins the same batch, and is refused with it.
    const second = store.addTenants([{ tenantId: 'globex', gatewayIds: ['gw-g1'] }]);
    await expect(first).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await expect(second).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    expect(await store.findGateway('gw-a1')).toBeUndefined();
    expect(await store.findGateway('gw-g1')).toBeUndefined();
    // The connection kept its busy timeout (it is switched off only around the try for the lock).
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(100);

    await holder.release();
    await store.addTenants([{ tenantId: 'acme', gatewayIds: ['gw-a1'] }]);
    expect(await store.findGateway('gw-a1')).toEqual({ gatewayId: 'gw-a1', tenantId: 'acme' });
    // Lock contention is not a disk failure: health stays up.
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

/**
 * WAL checkpoints off the event loop. SQLite's own auto-checkpoint runs inside the commit that
 * passes 1,000 WAL pages: it copies the pages into the database file and fsyncs the WAL and the
 * database, on the event loop (8-9 % of the server's main thread in the rotating-refresh bench, single
 * fsyncs up to 257 ms). Here a worker thread with its own connection to the same file does the
 * checkpoint instead, in two passes: the first copies the WAL while the gateway writes on; for the
 * second, which copies what was written meanwhile, the group commit holds the writes (they queue;
 * the event loop keeps serving): with no write under way it copies the whole WAL, and the worker
 * starts the WAL over (its header fsync) and journal_size_limit cuts the file back. Without that
 * hold a checkpoint racing the commits would rarely catch up and the WAL would only grow.
 *
 * Fail safe: the main connection keeps an auto-checkpoint, at `hardPages` (4× later than SQLite's),
 * for a worker that is slow (writes wait at most `holdMs` for it) or gone (then back to SQLite's
 * 1,000 pages, in the committing call as before). Durability does not change: both connections run
 * synchronous=NORMAL and a checkpoint fsyncs the WAL before copying and the database after, whoever runs it.
 */
import { Worker } from 'node:worker_threads';
import { Logger } from 'pino';
import Database from 'better-sqlite3';

/** The WAL size (bytes) past which a checkpoint is asked for: about SQLite's 1,000 pages of 4 KiB. */
export const CHECKPOINT_WAL_BYTES = 4 * 1024 * 1024;
/** The main connection's own auto-checkpoint (pages) while the worker runs: the bound if it falls behind. */
export const HARD_WAL_PAGES = 4000;
/** SQLite's default auto-checkpoint, back on the main connection once the worker is gone. */
const SQLITE_DEFAULT_PAGES = 1000;
/** How long writes wait for one checkpoint before going on without it (the hard bound then holds the WAL). */
export const CHECKPOINT_HOLD_MS = 1000;

export interface WalCheckpointerOptions {
  /** WAL bytes past which the worker checkpoints (CHECKPOINT_WAL_BYTES). */
  walBytes?: number;
  /** The main connection's auto-checkpoint in pages while the worker runs (HARD_WAL_PAGES). */
  hardPages?: number;
  /** Longest hold of the writes for one checkpoint, in ms (CHECKPOINT_HOLD_MS). */
  holdMs?: number;
  log?: Logger;
}

/** What the checkpointer needs of the group commit. */
export interface WriteHold {
  pause(): void;
  resume(): void;
}

export interface WalCheckpointer {
  /** After each commit, with the -wal file's size then: asks for a checkpoint once it passed the limit. */
  committed(walBytes: number): void;
  /** Checkpoints done by the worker so far (tests, metrics). */
  readonly checkpoints: number;
  /** Resolves once no checkpoint is under way (tests). */
  settled(): Promise<void>;
  /** The worker thread (tests stop it to see the fail-safe). */
  readonly worker: Worker;
  /** Lets held writes go and closes the worker's connection (before the main one closes). */
  close(): Promise<void>;
}

interface Reply {
  ok: boolean;
  /** The first pass ('copy', writes going on) is done: hold them for the second ('finish'). */
  copied?: boolean;
  message?: string;
}

/**
 * One Int32 shared with the worker: who may act once a checkpoint is asked for. The worker starts
 * the WAL over only while the gateway's writes are still held (HELD -> RESTARTING); the gateway
 * stops waiting after holdMs only if the worker has not begun that (HELD -> FREE). So the gateway
 * never meets the worker's write lock (its BEGIN IMMEDIATE would sleep in busy_timeout on the event loop).
 */
const FREE = 0;
const HELD = 1;
const RESTARTING = 2;

// CommonJS, evaluated: the same code runs under ts-jest (src/) and from dist/. PASSIVE never waits
// for readers; its fsyncs block this thread only. When it copied the whole WAL, a write of page 1
// (user_version set to itself: no change) starts the WAL over here, so the WAL header's fsync and
// the cut back to journal_size_limit happen in this thread too, not in the gateway's next write.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
db.pragma('journal_size_limit = ' + workerData.walBytes);
db.pragma('busy_timeout = ' + workerData.holdMs);
const state = new Int32Array(workerData.state);
const restart = db.transaction(() => db.pragma('user_version = ' + db.pragma('user_version', { simple: true })));
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    if (m === 'copy') return parentPort.postMessage({ ok: true, copied: true });
    const whole = r.busy === 0 && r.log > 0 && r.log === r.checkpointed;
    if (whole && Atomics.compareExchange(state, 0, ${HELD}, ${RESTARTING}) === ${HELD}) restart.immediate();
    parentPort.postMessage({ ok: true });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: String(err && err.message) });
  }
});
`;

/** Starts the worker on `file` (already open in WAL mode on `db`) and sets the main connection's pragmas for it. */
export function startWalCheckpointer(db: Database.Database, file: string, hold: WriteHold, options: WalCheckpointerOptions = {}): WalCheckpointer {
  const limit = options.walBytes ?? CHECKPOINT_WAL_BYTES;
  const holdMs = options.holdMs ?? CHECKPOINT_HOLD_MS;
  const state = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver: require.resolve('better-sqlite3'), walBytes: limit, holdMs, state: state.buffer } });
  // Never what keeps the process alive: a store left open must not hang the CLI or a test.
  worker.unref();
  const hardPages = options.hardPages ?? HARD_WAL_PAGES;
  db.pragma(`wal_autocheckpoint = ${hardPages}`);
  // After the WAL starts over, its first commit cuts the file back to this: the file's size then says how far it grew.
  db.pragma(`journal_size_limit = ${limit}`);

  let gone = false;
  let asked = false;
  let holding: NodeJS.Timeout | undefined;
  let nextAt = limit;
  let checkpoints = 0;
  let closed: Promise<void> | undefined;
  const waiting: (() => void)[] = [];
  const done = () => {
    asked = false;
    for (const w of waiting.splice(0)) w();
  };

  const release = () => {
    Atomics.store(state, 0, FREE);
    if (holding === undefined) return;
    clearTimeout(holding);
    holding = undefined;
    hold.resume();
  };
  // Waited holdMs: the writes go on unless the worker is already starting the WAL over (then its answer releases them).
  const giveUp = () => {
    if (Atomics.compareExchange(state, 0, HELD, FREE) === HELD) release();
  };
  const fallBack = (why: string, err?: unknown) => {
    if (gone) return;
    gone = true;
    done();
    release();
    if (db.open) db.pragma(`wal_autocheckpoint = ${Math.min(hardPages, SQLITE_DEFAULT_PAGES)}`);
    if (!closed) options.log?.error({ err }, `the WAL checkpoint worker ${why}: checkpoints run in the committing call again`);
  };

  worker.on('message', (reply: Reply) => {
    if (reply.copied && !gone && !closed) {
      hold.pause();
      Atomics.store(state, 0, HELD);
      holding = setTimeout(giveUp, holdMs);
      holding.unref();
      worker.postMessage('finish');
      return;
    }
    if (reply.ok) checkpoints++;
    else options.log?.warn({ reason: reply.message }, 'a WAL checkpoint failed; the next one retries');
    release();
    done();
  });
  worker.on('error', (err) => fallBack('failed', err));
  worker.on('exit', () => fallBack('stopped'));

  return {
    committed(walBytes) {
      if (walBytes <= limit) {
        nextAt = limit; // the WAL started over
        return;
      }
      // Past the limit again and again (a reader in another process keeps the WAL from starting
      // over): one more checkpoint per `limit` of growth, as SQLite's own would.
      if (gone || asked || closed || walBytes <= nextAt) return;
      nextAt = walBytes + limit;
      asked = true;
      worker.postMessage('copy');
    },
    get checkpoints() {
      return checkpoints;
    },
    settled() {
      return asked ? new Promise<void>((resolve) => waiting.push(resolve)) : Promise.resolve();
    },
    worker,
    close() {
      closed ??= new Promise<void>((resolve) => {
        release();
        if (gone) return resolve();
        worker.once('exit', () => resolve());
        // Waited for now: unreferenced, the process could end under this await (a failed start's exit code lost).
        worker.ref();
        worker.postMessage('close');
      });
      return closed;
    },
  };
}

/**
 * WAL checkpoints off the event loop. SQLite's own auto-checkpoint runs inside the commit that
 * passes 1,000 WAL pages: it copies the pages into the database file and fsyncs the WAL and the
 * database, on the event loop (the event loop blocked 11-14 % of the rotating-refresh bench, single
 * fsyncs up to 257 ms). Here a worker thread with its own connection to the same file checkpoints
 * instead, in two passes: a PASSIVE one copies the WAL while the gateway writes on; a TRUNCATE one
 * takes the write lock, copies what was written meanwhile and empties the WAL file, so the WAL starts
 * over. While the worker holds the lock the gateway's group commit finds it taken and tries again on
 * later turns of the event loop (group-commit.ts: it never waits inside SQLite), so the writes queue
 * and everything else goes on. Without the lock a checkpoint racing the commits would rarely catch
 * up, and the WAL would only grow. The commit that starts the WAL over writes and fsyncs its header:
 * the worker makes that commit itself at once (the gateway's, when it gets the lock first).
 *
 * Fail safe: the main connection keeps an auto-checkpoint, at `hardPages`, for a worker that falls
 * behind, or is gone (then back to SQLite's 1,000 pages, in the committing call as before).
 *
 * Durability: both connections run synchronous=NORMAL, so a commit writes the WAL without an fsync
 * and a checkpoint fsyncs the WAL before copying and the database after, whoever runs it. A power
 * cut (not a crash of the process: the OS keeps what was written) loses the commits the disk has
 * not got yet; with the WAL fsynced only at checkpoints that was everything since the last one, a
 * time that grows with the checkpoint interval and has no bound on a quiet gateway. So the worker
 * also fdatasyncs the WAL file WAL_SYNC_MS after a commit (one sync for all the commits of that
 * time; behind a checkpoint under way, once it ends): a power cut loses about the last WAL_SYNC_MS
 * of commits, at any write rate and any checkpoint interval. SQLite's recovery keeps the WAL's valid
 * frames up to the last whole commit, so a sync at any moment is safe. With the worker gone, the WAL
 * is fsynced at checkpoints only, as before.
 */
import { Worker } from 'node:worker_threads';
import { Logger } from 'pino';
import Database from 'better-sqlite3';

/**
 * The WAL size (bytes) past which a checkpoint is asked for: 16× SQLite's 1,000 pages of 4 KiB. A
 * checkpoint copies each page once however often it was written since the last, and the hot ones
 * (the index pages every token insert touches) are written thousands of times a second; the fewer
 * the checkpoints, the less copying, and on a busy core the copying competes with the event loop.
 * Measured (bench/http.js, the server pinned to one core, 3 rounds each, 2026-12-06): rotating
 * refreshes 5–10 % faster at 16 MiB than at 4 MiB, 10–13 % at 64 MiB. The cost: a WAL file of up to
 * this size on disk (and a start-up after a crash reads it back), and reads look a page up in a few
 * more WAL index segments.
 */
export const CHECKPOINT_WAL_BYTES = 64 * 1024 * 1024;
/** The main connection's own auto-checkpoint (pages) while the worker runs: the bound if it falls behind (128 MiB of 4 KiB pages). */
export const HARD_WAL_PAGES = 32_768;
/** SQLite's default auto-checkpoint, back on the main connection once the worker is gone. */
const SQLITE_DEFAULT_PAGES = 1000;
/**
 * How long the worker waits for the write lock (other connections' commits take well under a
 * millisecond to a few), then, holding it, for a reader that began after the first pass, before the
 * second pass gives up (the next checkpoint is asked for another CHECKPOINT_WAL_BYTES on). The
 * gateway's writes may wait that long: far under its busy timeout (5 s), past which they are refused.
 */
export const CHECKPOINT_BUSY_MS = 250;
/** PASSIVE passes before the TRUNCATE one at most, and the tail (frames written during the last) short enough to stop at. */
const PASSIVE_PASSES = 4;
const TAIL_FRAMES = 128;
/** How soon after a commit the worker fsyncs the WAL (about the most a power cut can lose, ms). */
export const WAL_SYNC_MS = 200;

export interface WalCheckpointerOptions {
  /** WAL bytes past which the worker checkpoints (CHECKPOINT_WAL_BYTES). */
  walBytes?: number;
  /** The main connection's auto-checkpoint in pages while the worker runs (HARD_WAL_PAGES). */
  hardPages?: number;
  /** The worker connection's busy timeout, in ms (CHECKPOINT_BUSY_MS). */
  busyMs?: number;
  /** How soon after a commit the WAL is fsynced, in ms (WAL_SYNC_MS). */
  syncMs?: number;
  log?: Logger;
}

export interface WalCheckpointer {
  /** After each commit, with the -wal file's size then: asks for a checkpoint once it passed the limit. */
  committed(walBytes: number): void;
  /** Checkpoints done by the worker so far, and of those the ones that emptied the WAL (tests). */
  readonly checkpoints: number;
  readonly emptied: number;
  /** fdatasyncs of the WAL done by the worker so far (tests). */
  readonly syncs: number;
  /** Resolves once no checkpoint is under way (tests). */
  settled(): Promise<void>;
  /** The worker thread (tests stop it to see the fail-safe). */
  readonly worker: Worker;
  /** Closes the worker's connection (before the main one closes). */
  close(): Promise<void>;
}

interface Reply {
  ok: boolean;
  /** The answer to a sync, not to a checkpoint. */
  sync?: boolean;
  /** The second pass copied the whole WAL and emptied the file. */
  emptied?: boolean;
  message?: string;
}

// CommonJS, evaluated: the same code runs under ts-jest (src/) and from dist/. Its fsyncs block this
// thread only. The first pass copies every frame there was when it began unless a reader (a CLI
// command reading on, say) still needs older pages. TRUNCATE answers busy = 1 (not an error) when it
// could not get the lock or the readers within the busy timeout: then only the first pass counted.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, fdatasyncSync, openSync } = require('node:fs');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
db.pragma('busy_timeout = ' + workerData.busyMs);
// A write that changes nothing (user_version as it is: the gateway does not use it) but a page: the
// commit that starts the emptied WAL over writes and fsyncs its header, here rather than on the event loop.
const restart = db.transaction(() => db.pragma('user_version = ' + db.pragma('user_version', { simple: true }))).immediate;
// The WAL file, opened once (this thread's connection keeps the file in place; a TRUNCATE keeps its inode)
// and closed only at close: SQLite locks the database and -shm files, never the WAL, so this
// descriptor's close drops none of its locks.
let wal;
parentPort.on('message', (m) => {
  if (m === 'close') {
    if (wal !== undefined) closeSync(wal);
    db.close();
    parentPort.close();
    return;
  }
  if (m === 'sync') {
    try {
      wal ??= openSync(workerData.file + '-wal', 'r');
      fdatasyncSync(wal);
      parentPort.postMessage({ ok: true, sync: true });
    } catch (err) {
      parentPort.postMessage({ ok: false, sync: true, message: String(err && err.message) });
    }
    return;
  }
  try {
    // A pass copies the frames there were when it began; the next copies those written meanwhile, a
    // shorter pass, so a shorter tail still. Passes go on while the tail is long (the TRUNCATE pass
    // copies its tail holding the write lock, with the gateway's writes waiting) or frames are left
    // behind (a commit was ending as the pass began, its read lock still held, or a reader's snapshot
    // still needs them). Still behind after the last, or another checkpointer at work, the TRUNCATE
    // pass would hold the write lock waiting for them: the WAL waits for the next checkpoint.
    let [last] = db.pragma('wal_checkpoint(PASSIVE)');
    for (let pass = 1; pass < workerData.passes && last.busy === 0; pass++) {
      const [next] = db.pragma('wal_checkpoint(PASSIVE)');
      const tail = next.log - last.log;
      last = next;
      if (tail <= workerData.tailFrames && last.checkpointed === last.log) break;
    }
    if (last.busy !== 0 || last.checkpointed < last.log) return parentPort.postMessage({ ok: true, emptied: false });
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)');
    if (r.busy === 0) restart();
    parentPort.postMessage({ ok: true, emptied: r.busy === 0 });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: String(err && err.message) });
  }
});
`;

/** Starts the worker on `file` (already open in WAL mode on `db`) and sets the main connection's auto-checkpoint for it. */
export function startWalCheckpointer(db: Database.Database, file: string, options: WalCheckpointerOptions = {}): WalCheckpointer {
  const limit = options.walBytes ?? CHECKPOINT_WAL_BYTES;
  const busyMs = options.busyMs ?? CHECKPOINT_BUSY_MS;
  // None of the process's Node options: under `node --cpu-prof` (bench/http.js --profile) an inherited profiler would
  // sample this mostly idle thread a thousand times a second and write a second profile.
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { file, driver: require.resolve('better-sqlite3'), busyMs, passes: PASSIVE_PASSES, tailFrames: TAIL_FRAMES } });
  // Never what keeps the process alive: a store left open must not hang the CLI or a test.
  worker.unref();
  const hardPages = options.hardPages ?? HARD_WAL_PAGES;
  db.pragma(`wal_autocheckpoint = ${hardPages}`);
  // The fail-safe's checkpoints do not empty the file: after the WAL starts over, its first commit cuts it back to this.
  db.pragma(`journal_size_limit = ${limit}`);

  let gone = false;
  let asked = false;
  let nextAt = limit;
  let checkpoints = 0;
  let emptied = 0;
  let syncs = 0;
  const syncMs = options.syncMs ?? WAL_SYNC_MS;
  let syncTimer: NodeJS.Timeout | undefined;
  const sync = () => {
    syncTimer = undefined;
    if (!gone && !closed) worker.postMessage('sync');
  };
  let closed: Promise<void> | undefined;
  const waiting: (() => void)[] = [];
  const done = () => {
    asked = false;
    for (const w of waiting.splice(0)) w();
  };
  const fallBack = (why: string, err?: unknown) => {
    if (gone) return;
    gone = true;
    done();
    if (db.open) db.pragma(`wal_autocheckpoint = ${Math.min(hardPages, SQLITE_DEFAULT_PAGES)}`);
    if (!closed) options.log?.error({ err }, `the WAL checkpoint worker ${why}: checkpoints run in the committing call again`);
  };

  worker.on('message', (reply: Reply) => {
    if (reply.sync) {
      if (reply.ok) syncs++;
      else options.log?.error({ reason: reply.message }, 'could not fsync the WAL (a failing disk?): the commits since the last sync may not survive a power cut; the next commit tries again');
      return;
    }
    if (reply.ok) {
      checkpoints++;
      if (reply.emptied) emptied++;
    } else options.log?.warn({ reason: reply.message }, 'a WAL checkpoint failed; the next one retries');
    done();
  });
  worker.on('error', (err) => fallBack('failed', err));
  worker.on('exit', () => fallBack('stopped'));

  return {
    committed(walBytes) {
      // One sync for the commits of the next syncMs; never what keeps the process alive.
      if (syncTimer === undefined && !gone && !closed) syncTimer = setTimeout(sync, syncMs).unref();
      if (walBytes <= limit) {
        nextAt = limit; // the WAL started over
        return;
      }
      // Past the limit again and again (the second pass did not get the lock or the readers): one
      // more checkpoint per `limit` of growth, as SQLite's own would.
      if (gone || asked || closed || walBytes <= nextAt) return;
      nextAt = walBytes + limit;
      asked = true;
      worker.postMessage('checkpoint');
    },
    get checkpoints() {
      return checkpoints;
    },
    get emptied() {
      return emptied;
    },
    get syncs() {
      return syncs;
    },
    settled() {
      return asked ? new Promise<void>((resolve) => waiting.push(resolve)) : Promise.resolve();
    },
    worker,
    close() {
      if (syncTimer !== undefined) clearTimeout(syncTimer);
      closed ??= new Promise<void>((resolve) => {
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

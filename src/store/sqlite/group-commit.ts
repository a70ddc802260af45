/**
 * Group commit of the embedded store's writes. A commit costs the same few system calls (WAL frames,
 * locks) and file checks however little it wrote, so the writes asked for within one turn of the
 * event loop (every request read in it) run in one IMMEDIATE transaction, each in a savepoint of its
 * own: a write that throws rolls back only itself and refuses only its caller. Each caller hears
 * only once the transaction committed and `afterCommit` passed, so an answered write is as durable
 * as one committed alone; if the commit (or `afterCommit`) fails, every write of the batch is refused.
 *
 * The write lock is taken without blocking the event loop. Another process on the same file (the
 * other workers of `serve --workers N`, a CLI) may hold it; SQLite's busy handler would then sleep
 * 1, 2, 5, 10… ms inside BEGIN, stalling every request of this process far longer than a commit holds
 * the lock (well under a millisecond). So BEGIN IMMEDIATE is tried without waiting, and a batch that
 * finds the lock taken stays queued (later writes join it) and is tried again on a later turn of the
 * loop, for as long as the connection's busy timeout; then its writes are refused, as SQLite would.
 * `flush` still waits in SQLite (the connection is about to close).
 */
import Database from 'better-sqlite3';

/** Writes per transaction; more wait for the next one (run at once, in the same turn). */
export const MAX_WRITES_PER_COMMIT = 256;

export interface GroupCommit {
  /** Runs `fn` (synchronous) in the next batch; resolves with its value once that batch committed. */
  run<T>(fn: () => T): Promise<T>;
  /** Runs the queued writes now, waiting in SQLite for the write lock (before the connection closes). */
  flush(): void;
}

interface Queued {
  fn: () => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** `afterCommit` throws when a committed batch must not be acknowledged (the database files were replaced). */
export function createGroupCommit(db: Database.Database, afterCommit: () => void, max = MAX_WRITES_PER_COMMIT): GroupCommit {
  let queue: Queued[] = [];
  let scheduled = false;

  // Made once each: better-sqlite3 builds four wrappers per transaction function. Called inside a
  // transaction, a transaction function runs in a savepoint.
  const savepoint = db.transaction((fn: () => unknown) => fn());
  const batch = db.transaction((writes: Queued[], outcomes: Outcome[], begun: (() => void) | undefined) => {
    begun?.();
    for (const w of writes) {
      try {
        outcomes.push({ ok: true, value: savepoint(w.fn) });
      } catch (error) {
        // Some errors (disk full, I/O) make SQLite roll back the whole transaction: then nothing of the batch is kept.
        if (!db.inTransaction) throw error;
        outcomes.push({ ok: false, error });
      }
    }
  }).immediate;

  // The connection's busy timeout, read when first needed (it is set after the connection opens). Set
  // with db.exec each time: SQLite applies `PRAGMA busy_timeout = N` when the statement is prepared,
  // not when a prepared one runs again; exec costs ~1 µs, db.pragma ~5.
  let busyTimeoutMs: number | undefined;
  const busyTimeout = () => (busyTimeoutMs ??= Number(db.pragma('busy_timeout', { simple: true })) || 0);

  /** Runs `writes` in one transaction; without `wait`, answers SQLite's busy error (nothing run) when another connection holds the write lock. */
  function commit(writes: Queued[], outcomes: Outcome[], wait: boolean): Error | undefined {
    if (wait || db.inTransaction) {
      batch(writes, outcomes, undefined);
      return undefined;
    }
    const restore = () => db.exec(`PRAGMA busy_timeout = ${busyTimeout()}`);
    let begun = false;
    busyTimeout();
    db.exec('PRAGMA busy_timeout = 0');
    try {
      // The first thing inside the transaction: the lock is ours, and the rest waits as it always did.
      batch(writes, outcomes, () => {
        begun = true;
        restore();
      });
    } catch (err) {
      if (begun) throw err;
      restore();
      if (/^SQLITE_BUSY/.test((err as { code?: string }).code ?? '')) return err as Error;
      throw err;
    }
    return undefined;
  }

  /** When the batch waiting for the lock first found it taken, and how often it tried since. */
  let busySince = 0;
  let retries = 0;

  /**
   * The next try: on the next turns of the loop at first (a commit holds the lock well under a
   * millisecond), then every millisecond (the holder was descheduled, or is a long CLI write). A try
   * that finds the lock taken costs a few µs; waiting longer between tries only delays the writes.
   */
  function retryLater(): void {
    scheduled = true;
    retries++;
    if (retries <= 8) setImmediate(tryNow);
    else setTimeout(tryNow, 1);
  }

  function flush(wait: boolean): void {
    scheduled = false;
    while (queue.length > 0) {
      const writes = queue.length <= max ? queue : queue.slice(0, max);
      queue = queue.length <= max ? [] : queue.slice(max);
      const outcomes: Outcome[] = [];
      try {
        const busy = commit(writes, outcomes, wait);
        if (busy) {
          busySince ||= Date.now();
          if (Date.now() - busySince >= busyTimeout()) throw busy;
          // Still queued, first in line; the writes asked for meanwhile join the batch.
          queue = writes.concat(queue);
          return retryLater();
        }
        afterCommit();
      } catch (err) {
        busySince = retries = 0;
        for (const w of writes) w.reject(err);
        continue;
      }
      busySince = retries = 0;
      writes.forEach((w, i) => {
        const o = outcomes[i];
        if (o.ok) w.resolve(o.value);
        else w.reject(o.error);
      });
    }
  }
  const tryNow = () => flush(false);

  return {
    run<T>(fn: () => T) {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          // After the poll phase: every request read in this turn of the loop has asked by then.
          setImmediate(tryNow);
        }
      });
    },
    flush: () => flush(true),
  };
}

/**
 * Group commit of the embedded store's writes. A commit costs the same few system calls (WAL frames,
 * locks) and file checks however little it wrote, so the writes asked for within one turn of the
 * event loop (every request read in it) run in one IMMEDIATE transaction, each in a savepoint of its
 * own: a write that throws rolls back only itself and refuses only its caller. Each caller hears
 * only once the transaction committed and `afterCommit` passed, so an answered write is as durable
 * as one committed alone; if the commit (or `afterCommit`) fails, every write of the batch is refused.
 */
import Database from 'better-sqlite3';

/** Writes per transaction; more wait for the next one (run at once, in the same turn). */
export const MAX_WRITES_PER_COMMIT = 256;

export interface GroupCommit {
  /** Runs `fn` (synchronous) in the next batch; resolves with its value once that batch committed. */
  run<T>(fn: () => T): Promise<T>;
  /** Runs the queued writes now (before the connection closes), paused or not. */
  flush(): void;
  /** Holds the next batches (they queue; the event loop keeps running) until `resume`: a checkpoint in another thread is under way. */
  pause(): void;
  /** Lets the held batches commit, in the next turn. */
  resume(): void;
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
  let paused = false;

  // Made once each: better-sqlite3 builds four wrappers per transaction function. Called inside a
  // transaction, a transaction function runs in a savepoint.
  const savepoint = db.transaction((fn: () => unknown) => fn());
  const batch = db.transaction((writes: Queued[], outcomes: Outcome[]) => {
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

  // `force`: before the connection closes, held or not.
  function flush(force = false): void {
    scheduled = false;
    while (queue.length > 0 && (force || !paused)) {
      const writes = queue.length <= max ? queue : queue.slice(0, max);
      queue = queue.length <= max ? [] : queue.slice(max);
      const outcomes: Outcome[] = [];
      try {
        batch(writes, outcomes);
        afterCommit();
      } catch (err) {
        for (const w of writes) w.reject(err);
        continue;
      }
      writes.forEach((w, i) => {
        const o = outcomes[i];
        if (o.ok) w.resolve(o.value);
        else w.reject(o.error);
      });
    }
  }

  const schedule = () => {
    if (scheduled || paused || queue.length === 0) return;
    scheduled = true;
    // After the poll phase: every request read in this turn of the loop has asked by then.
    setImmediate(flush);
  };

  return {
    run<T>(fn: () => T) {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        schedule();
      });
    },
    flush: () => flush(true),
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      schedule();
    },
  };
}

/**
 * Password hashing on a few worker threads of its own, each running @node-rs/argon2's synchronous
 * calls one at a time: `width` hashes at once, never more. Each thread also holds the next job in
 * its queue, so it starts that hash the moment the last one ends (on libuv's pool the next hash
 * could only start once the event loop had taken the last result and queued another: a hashing
 * core sat idle meanwhile, the longer the busier the event loop). One set per process and width,
 * made at the first hash; idle threads do not keep the process alive, busy ones do.
 *
 * The threads run at a lower scheduling priority than the event loop (HASH_THREAD_NICENESS more):
 * password guesses are the CPU load anyone can cause, and when cores are short the event loop
 * (refreshes, gRPC calls, health checks, the logins' own writes and answers) should run first, the
 * hashing on every cycle it leaves. Measured on 2 cores under a login flood (bench/identity, this
 * build against itself at niceness 0, 6 rounds): event-loop p99 16.4 → 14.8 ms (lower in every
 * round), logins / raw hash rate unchanged (0.87 / 0.86: the hashing loses no cycles). Linux only (a thread's
 * own ID from /proc/thread-self, setpriority on it; more niceness needs no privilege); where that
 * fails the threads keep the process's priority, which is what they had before.
 */
import { Worker } from 'node:worker_threads';

export type HashJob = { op: 'hash'; password: string; options: object } | { op: 'verify'; stored: string; password: string };

export interface HashThreads {
  run(job: { op: 'hash'; password: string; options: object }): Promise<string>;
  run(job: { op: 'verify'; stored: string; password: string }): Promise<boolean>;
  /** Threads running now: never more than the width, however many hashes wait (the jobs queue, not the threads). */
  readonly threads: number;
}

/** Jobs handed to one thread at once: the one it hashes and the next. */
const DEPTH = 2;

/** How much nicer than the process the hashing threads run (setpriority: 19 at most). */
export const HASH_THREAD_NICENESS = 10;

// Plain JavaScript evaluated in the thread (the same under ts-jest as from dist/); argon2 is the module the caller resolved.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.argon2);
try {
  const os = require('node:os');
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  os.setPriority(tid, Math.min(19, os.getPriority(tid) + workerData.niceness));
} catch {
  // Not Linux, or refused: the process's priority.
}
parentPort.on('message', ({ id, job }) => {
  try {
    const value = job.op === 'hash' ? argon2.hashSync(job.password, job.options) : argon2.verifySync(job.stored, job.password);
    parentPort.postMessage({ id, value });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});`;

interface Pending {
  id: number;
  job: HashJob;
  resolve(value: string | boolean): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  jobs: Map<number, Pending>;
}

function createHashThreads(width: number): HashThreads {
  const threads: (Thread | undefined)[] = Array.from({ length: width }, () => undefined);
  // Jobs waiting for a thread: one per login or password change in flight, so bounded by what the
  // doors let in at once (the HTTP bridge's connection cap, one request each; the CLI's one call).
  const queue: Pending[] = [];
  let nextId = 0;

  function start(slot: number): Thread {
    const worker = new Worker(SOURCE, { eval: true, workerData: { argon2: require.resolve('@node-rs/argon2'), niceness: HASH_THREAD_NICENESS } });
    const thread: Thread = { worker, jobs: new Map() };
    worker.unref();
    worker.on('message', ({ id, value, error }: { id: number; value?: string | boolean; error?: string }) => {
      const done = thread.jobs.get(id);
      thread.jobs.delete(id);
      if (thread.jobs.size === 0) worker.unref();
      if (error !== undefined) done?.reject(new Error(error));
      else done?.resolve(value as string | boolean);
      dispatch();
    });
    // A thread that died fails its jobs; the next job starts a new one in its place.
    const lost = (err: Error) => {
      if (threads[slot] !== thread) return;
      threads[slot] = undefined;
      for (const p of thread.jobs.values()) p.reject(err);
      dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`password hashing thread exited (${code})`)));
    threads[slot] = thread;
    return thread;
  }

  /** Hands queued jobs to the threads with the fewest, up to DEPTH each. */
  function dispatch(): void {
    while (queue.length > 0) {
      let slot = -1;
      for (let i = 0; i < width; i++) {
        const n = threads[i]?.jobs.size ?? 0;
        if (n < DEPTH && (slot < 0 || n < (threads[slot]?.jobs.size ?? 0))) slot = i;
      }
      if (slot < 0) return;
      const thread = threads[slot] ?? start(slot);
      const pending = queue.shift() as Pending;
      if (thread.jobs.size === 0) thread.worker.ref();
      thread.jobs.set(pending.id, pending);
      thread.worker.postMessage({ id: pending.id, job: pending.job });
    }
  }

  return {
    get threads() {
      return threads.filter((t) => t !== undefined).length;
    },
    run: ((job: HashJob) =>
      new Promise<string | boolean>((resolve, reject) => {
        queue.push({ id: nextId++, job, resolve, reject });
        dispatch();
      })) as HashThreads['run'],
  };
}

const byWidth = new Map<number, HashThreads>();

/** The process's hashing threads of this width (made once). */
export function hashThreads(width: number): HashThreads {
  let threads = byWidth.get(width);
  if (!threads) byWidth.set(width, (threads = createHashThreads(width)));
  return threads;
}

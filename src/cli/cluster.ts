/**
 * `serve --workers N`: N worker processes serve the same gRPC and HTTP ports (node:cluster hands
 * connections out round-robin). The primary prepares what must happen once (migrations, a dev PKI)
 * before forking, restarts a worker that dies, relays each worker's changes to the others (see
 * change-relay.ts), and on SIGTERM drains every worker and exits 0. A worker that dies before any
 * has served ends the whole process, non-zero.
 */
import cluster, { Worker } from 'node:cluster';
import { Logger } from 'pino';
import { createChangeRelay } from './change-relay';

export interface ClusterOptions {
  workers: number;
  log: Logger;
  /** How long SIGTERM waits for workers before killing them. */
  graceMs: number;
}

/** What a worker sends the primary once every door of its gateway listens. */
export const SERVING_MESSAGE = 'master-gateway:serving';

/** Resolves with the exit code: 0 after a SIGTERM drain, non-zero when the first start failed. */
export function runPrimary({ workers, log, graceMs }: ClusterOptions): Promise<number> {
  let stopping = false;
  let served = false;
  let failedStart: (code: number) => void = () => undefined;
  const restarts: number[] = [];

  const relay = createChangeRelay(log);
  const fork = (): Worker => {
    const worker = cluster.fork({ GATEWAY_WORKER: '1' });
    relay.forked({
      id: worker.id,
      pid: worker.process.pid,
      // A closed channel means a dying worker: its exit settles what waits for it.
      send: (m) => worker.send(m, undefined, () => undefined),
      kill: () => worker.process.kill('SIGKILL'),
    });
    return worker;
  };
  cluster.on('message', (worker, message) => relay.message(worker.id, message));

  cluster.on('message', (_worker, message) => {
    if (message === SERVING_MESSAGE) served = true;
  });
  cluster.on('exit', (worker, code, signal) => {
    relay.exited(worker.id);
    if (stopping) return;
    if (!served && signal === null && code !== 0) {
      // A worker ended itself with an error before any worker served: the same failure (a taken port, a
      // bad certificate) would repeat in each restart, so the whole process ends instead of running
      // half-started. A worker killed by a signal is restarted as usual (its SERVING message may be in flight).
      log.error({ workerPid: worker.process.pid, exitCode: code, signal }, 'a worker failed to start (its error is above): stopping');
      failedStart(code || 1);
      return;
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts.length && restarts[0] < now - 60_000) restarts.shift();
    // A worker that keeps dying at start would spin; back off when that happens.
    const delay = restarts.length > workers * 3 ? 5000 : 100;
    log.error({ pid: worker.process.pid, exitCode: code, signal, delayMs: delay }, 'worker died; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });

  for (let i = 0; i < workers; i++) fork();
  log.info({ workers }, 'primary started workers');

  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals | undefined, exitCode: number) => {
      if (stopping) return;
      stopping = true;
      if (signal) log.info({ signal }, 'draining workers');
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
      let left = alive.length;
      if (left === 0) resolve(exitCode);
      const killer = setTimeout(() => alive.forEach((w) => w.process.kill('SIGKILL')), graceMs + 2000);
      for (const w of alive) {
        w.once('exit', () => {
          if (--left === 0) {
            clearTimeout(killer);
            resolve(exitCode);
          }
        });
        w.process.kill('SIGTERM');
      }
    };
    failedStart = (code) => stop(undefined, code);
    process.on('SIGTERM', () => stop('SIGTERM', 0));
    process.on('SIGINT', () => stop('SIGINT', 0));
    // The operator signals the primary; each worker holds its own listeners and reloads them itself.
    process.on('SIGHUP', () => {
      if (stopping) return;
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
      log.info({ signal: 'SIGHUP', workers: alive.length }, 'telling the workers to reload the TLS files');
      for (const w of alive) w.process.kill('SIGHUP');
    });
  });
}

export const isWorker = () => cluster.isWorker;

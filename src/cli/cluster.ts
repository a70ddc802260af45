/**
 * `serve --workers N`: N worker processes serve the same gRPC and HTTP ports (node:cluster hands
 * connections out round-robin). The primary prepares what must happen once (migrations, a dev PKI)
 * before forking, restarts a worker that dies, relays each worker's changes to the others (see
 * change-relay.ts), and on SIGTERM drains every worker and exits 0.
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

export function runPrimary({ workers, log, graceMs }: ClusterOptions): Promise<void> {
  let stopping = false;
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

  cluster.on('exit', (worker, code, signal) => {
    relay.exited(worker.id);
    if (stopping) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts.length && restarts[0] < now - 60_000) restarts.shift();
    // A worker that keeps dying at start would spin; back off when that happens.
    const delay = restarts.length > workers * 3 ? 5000 : 100;
    log.error({ pid: worker.process.pid, code, signal, delayMs: delay }, 'worker died; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });

  for (let i = 0; i < workers; i++) fork();
  log.info({ workers }, 'primary started workers');

  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'draining workers');
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
      let left = alive.length;
      if (left === 0) resolve();
      const killer = setTimeout(() => alive.forEach((w) => w.process.kill('SIGKILL')), graceMs + 2000);
      for (const w of alive) {
        w.once('exit', () => {
          if (--left === 0) {
            clearTimeout(killer);
            resolve();
          }
        });
        w.process.kill('SIGTERM');
      }
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

export const isWorker = () => cluster.isWorker;

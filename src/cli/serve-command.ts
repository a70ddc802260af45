import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config';
import { ensureDevPki } from '../dev-pki';
import { startGateway } from '../gateway';
import { createLogger } from '../logger';
import { openStore } from '../store/open-store';
import { isWorker, runPrimary, SERVING_MESSAGE } from './cluster';

function parseWorkers(value: string): number {
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('must be a number from 1 to 256, or "auto"');
  return n;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the master gateway (configuration from GATEWAY_* variables and the optional GATEWAY_CONFIG file)')
    .option('--config <file>', 'JSON config file (same as GATEWAY_CONFIG)')
    .option('--workers <n>', 'worker processes on the same ports: a number or "auto" (one per core)', parseWorkers, 1)
    .action(async (flags: { config?: string; workers: number }) => {
      if (flags.config) process.env.GATEWAY_CONFIG = flags.config;
      const config = loadConfig();
      const log = createLogger(config.logLevel);
      if (flags.workers > 1 && !isWorker()) {
        // Once, before any worker starts: migrations and the dev PKI.
        const store = await openStore(config, { pollMs: 0 });
        try {
          await ensureDevPki(config, store, log);
        } finally {
          await store.close();
        }
        const code = await runPrimary({ workers: flags.workers, log, graceMs: config.shutdownGraceMs });
        log.info('stopped');
        process.exit(code);
      }
      // Signals are taken before start-up, so a SIGTERM that arrives while starting still drains and exits 0.
      const starting = startGateway(config, log);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'draining in-flight calls');
        starting
          .then((gateway) => gateway.close())
          .then(
            () => {
              log.info('stopped');
              process.exit(0);
            },
            (err: unknown) => {
              log.error({ err }, 'shutdown failed');
              process.exit(1);
            },
          );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      await starting.catch((err: unknown) => {
        // A failed start has stopped what it started; should anything still hold the process, it ends anyway.
        setTimeout(() => process.exit(process.exitCode || 1), 2000).unref();
        throw err;
      });
      if (isWorker()) process.send?.(SERVING_MESSAGE);
    });
}

import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { ENV_NAMES, loadConfig } from '../config';
import { asListenFailure } from '../listen-failure';
import { clusterRegistry, primaryReadiness } from '../ops/cluster-metrics';
import { startOpsServer } from '../ops/ops-server';
import { ensureDevPki, needsDevPki } from '../dev-pki';
import { checkPrivatePaths, privatePaths } from '../private-files';
import { loadSecretBox } from '../system-secrets';
import { startGateway } from '../gateway';
import { createLogger } from '../logger';
import { openStore } from '../store/open-store';
import { isWorker, runPrimary, SERVING_MESSAGE } from './cluster';
import { linkToPrimary } from './worker-link';
import { systemClock } from '../core/clock';

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
    .option('--dev-pki', 'make a development PKI when the certificate directory holds no CA (same as GATEWAY_DEV_PKI=true)')
    .action(async (flags: { config?: string; workers: number; devPki?: boolean }) => {
      if (flags.config) process.env.GATEWAY_CONFIG = flags.config;
      const config = loadConfig(process.env, flags.devPki ? { devPki: true } : {});
      const log = createLogger(config.logLevel);
      if (flags.workers > 1 && !isWorker()) {
        // Once, before any worker starts: the dev PKI (or the refusal to make one), permissions,
        // migrations and the system secret.
        needsDevPki(config);
        checkPrivatePaths(privatePaths(config));
        const store = await openStore(config, { pollMs: 0 });
        try {
          await ensureDevPki(config, store, log);
          await loadSecretBox(config, store, log);
        } finally {
          await store.close();
        }
        // One operations listener for all workers, in the primary (see src/ops/cluster-metrics.ts).
        const ops =
          config.opsPort >= 0
            ? await startOpsServer({ registry: clusterRegistry(), notReady: primaryReadiness(SERVING_MESSAGE).reasons }, config.opsHost, config.opsPort, log).catch((err: unknown) => {
                throw asListenFailure('operations', config.opsHost, config.opsPort, ENV_NAMES.opsPort, err);
              })
            : undefined;
        if (ops) log.info({ host: config.opsHost, port: ops.port }, 'operations listener serving (/metrics of every worker, /healthz, /readyz)');
        const code = await runPrimary({ workers: flags.workers, log, graceMs: config.shutdownGraceMs });
        await ops?.close();
        log.info('stopped');
        process.exit(code);
      }
      // Signals are taken before start-up, so a SIGTERM that arrives while starting still drains and exits 0.
      const starting = isWorker() ? startGateway(config, log, systemClock, linkToPrimary(), 'primary') : startGateway(config, log, systemClock);
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
      // SIGHUP reloads the TLS files (Node's default would end the process without a word).
      process.on('SIGHUP', () => {
        log.info({ signal: 'SIGHUP' }, 'reloading the TLS files');
        void starting.then((gateway) => !stopping && gateway.reloadTls('SIGHUP'), () => undefined);
      });
      await starting.catch((err: unknown) => {
        // A failed start has stopped what it started; should anything still hold the process, it ends anyway.
        setTimeout(() => process.exit(process.exitCode || 1), 2000).unref();
        throw err;
      });
      if (isWorker()) process.send?.(SERVING_MESSAGE);
    });
}

import { Command } from 'commander';
import { loadConfig } from '../config';
import { startGateway } from '../gateway';
import { createLogger } from '../logger';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the master gateway (configuration from GATEWAY_* variables and the optional GATEWAY_CONFIG file)')
    .option('--config <file>', 'JSON config file (same as GATEWAY_CONFIG)')
    .action(async (flags: { config?: string }) => {
      if (flags.config) process.env.GATEWAY_CONFIG = flags.config;
      const config = loadConfig();
      const log = createLogger(config.logLevel);
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
      await starting;
    });
}

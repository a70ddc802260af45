import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../config';
import { DATABASE_FILE } from '../store/open-store';
import { withCore } from './with-core';

/** `store init`: the explicit way (besides `serve`) to make the database the other commands work on. */
export function storeCommand(): Command {
  const store = new Command('store').description('the database itself');
  store
    .command('init')
    .description('create the embedded database (or bring an existing one, or the PostgreSQL tables, to the current schema)')
    .option('--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)')
    .action(async (flags: { dataDir?: string }) => {
      const config = loadConfig(process.env, flags.dataDir ? { dataDir: flags.dataDir } : {});
      const file = join(config.dataDir, DATABASE_FILE);
      const existed = config.databaseUrl !== '' || existsSync(file);
      await withCore(flags.dataDir, async () => undefined, { create: true });
      const what = config.databaseUrl ? 'the PostgreSQL database (GATEWAY_DATABASE_URL)' : file;
      process.stdout.write(existed ? `${what} is ready (schema up to date)\n` : `created ${what}\n`);
    });
  return store;
}

import { Command } from 'commander';
import { systemClock } from '../core/clock';
import { newSigningKeyRecord, TOKEN_ALGORITHM } from '../core/key-ring';
import { printJson, printTable } from './output';
import { withStore } from './with-store';

const dataDir = ['--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)'] as const;

export function keysCommand(): Command {
  const keys = new Command('keys').description('token signing keys');
  keys
    .command('rotate')
    .description('add a new signing key; tokens signed with older keys stay valid until they expire')
    .option(...dataDir)
    .action((f: { dataDir?: string }) =>
      withStore(f.dataDir, async (store) => {
        const record = newSigningKeyRecord(systemClock);
        await store.addSigningKey(record);
        process.stdout.write(`new signing key ${record.kid} (${record.alg}); running gateways pick it up within a second\n`);
      }),
    );
  keys
    .command('list')
    .option('--json', 'machine-readable output')
    .option(...dataDir)
    .description('list signing keys (public information only)')
    .action((f: { json?: boolean; dataDir?: string }) =>
      withStore(f.dataDir, async (store) => {
        const all = (await store.listSigningKeys()).filter((k) => k.alg === TOKEN_ALGORITHM);
        const rows = all.map((k, i) => ({ kid: k.kid, alg: k.alg, created: new Date(k.createdAt * 1000).toISOString(), signing: i === all.length - 1 ? 'yes' : 'no' }));
        if (f.json) printJson(rows);
        else printTable(rows, ['kid', 'alg', 'created', 'signing']);
      }),
    );
  return keys;
}

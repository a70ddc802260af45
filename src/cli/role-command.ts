import { Command } from 'commander';
import { isoFromMillis, printJson, printTable } from './output';

/** The built-in roles were made with the schema, at no recorded time (0): null rather than 1970. */
const when = (unixMillis: number): string | null => (unixMillis === 0 ? null : isoFromMillis(unixMillis));
import { parsePermission } from './user-command';
import { withCore } from './with-core';

const dataDir = ['--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)'] as const;

export function roleCommand(): Command {
  const role = new Command('role').description('permission profiles (resource → verbs), as in the Monogoto profile');
  role
    .command('set <name>')
    .description('create or replace a role')
    .option('--permission <resource=verbs>', 'e.g. Devices=view,edit (repeatable)', parsePermission, {})
    .option(...dataDir)
    .action((name: string, f: { permission: Record<string, string[]>; dataDir?: string }) =>
      withCore(f.dataDir, async (core) => {
        await (await core.admin()).roles.set(name, f.permission);
        process.stdout.write(`role ${name} saved\n`);
      }),
    );
  role
    .command('list')
    .description('list roles and their permissions')
    .option('--json', 'machine-readable output')
    .option(...dataDir)
    .action((f: { json?: boolean; dataDir?: string }) =>
      withCore(f.dataDir, async (core) => {
        const roles = await (await core.admin()).roles.list();
        if (f.json) printJson(roles.map((r) => ({ ...r, createdAt: when(r.createdAt), updatedAt: when(r.updatedAt) })));
        else printTable(roles.map((r) => ({ role: r.name, permissions: Object.entries(r.permissions).map(([k, v]) => `${k}=${v.join(',')}`).join(' ') })), ['role', 'permissions']);
      }),
    );
  role
    .command('delete <name>')
    .option(...dataDir)
    .description('delete a role no user holds')
    .action((name: string, f: { dataDir?: string }) =>
      withCore(f.dataDir, async (core) => {
        await (await core.admin()).roles.delete(name);
        process.stdout.write(`role ${name} deleted\n`);
      }),
    );
  return role;
}

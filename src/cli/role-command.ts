import { Command } from 'commander';
import { printJson, printTable } from './output';
import { parsePermission } from './user-command';
import { withStore } from './with-store';

const dataDir = ['--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)'] as const;

export function roleCommand(): Command {
  const role = new Command('role').description('permission profiles (resource → verbs), as in the Monogoto profile');
  role
    .command('set <name>')
    .description('create or replace a role')
    .option('--permission <resource=verbs>', 'e.g. Devices=view,edit (repeatable)', parsePermission, {})
    .option(...dataDir)
    .action((name: string, f: { permission: Record<string, string[]>; dataDir?: string }) =>
      withStore(f.dataDir, async (store) => {
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new Error('role names are 1–64 characters of letters, digits, . _ -');
        const now = Date.now();
        const existing = await store.findRole(name);
        await store.putRole({ name, permissions: f.permission, createdAt: existing?.createdAt ?? now, updatedAt: now });
        process.stdout.write(`role ${name} saved\n`);
      }),
    );
  role
    .command('list')
    .option('--json', 'machine-readable output')
    .option(...dataDir)
    .action((f: { json?: boolean; dataDir?: string }) =>
      withStore(f.dataDir, async (store) => {
        const roles = await store.listRoles();
        if (f.json) printJson(roles);
        else printTable(roles.map((r) => ({ role: r.name, permissions: Object.entries(r.permissions).map(([k, v]) => `${k}=${v.join(',')}`).join(' ') })), ['role', 'permissions']);
      }),
    );
  role
    .command('delete <name>')
    .option(...dataDir)
    .description('delete a role no user holds')
    .action((name: string, f: { dataDir?: string }) =>
      withStore(f.dataDir, async (store) => {
        await store.deleteRole(name);
        process.stdout.write(`role ${name} deleted\n`);
      }),
    );
  return role;
}

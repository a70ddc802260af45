import { Command } from 'commander';
import { InvalidArgument } from '../errors';
import { isoFromMillis, printJson, printTable } from './output';
import { readPassword } from './read-password';
import { withCore } from './with-core';

const dataDir = ['--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)'] as const;

export function userCommand(): Command {
  const user = new Command('user').description('users of the HTTP login dialects (passwords are read from stdin or a prompt, never from arguments)');
  user
    .command('add <username>')
    .requiredOption('--tenant <id>', 'the tenant the user belongs to')
    .option('--role <name>', 'permission profile', 'user')
    .option('--email <address>', 'e-mail address', '')
    .option('--first-name <name>', 'first name', '')
    .option('--last-name <name>', 'last name', '')
    .option('--must-change', 'the user must choose a new password at the next login')
    .option(...dataDir)
    .description('add a user; the password comes from stdin or a prompt')
    .action((username: string, f: { tenant: string; role: string; email: string; firstName: string; lastName: string; mustChange?: boolean; dataDir?: string }) =>
      withCore(f.dataDir, async (core) => {
        const users = await core.users();
        const password = await readPassword();
        const u = await users.add({ username, tenantId: f.tenant, password, role: f.role, email: f.email, firstName: f.firstName, lastName: f.lastName, mustChangePassword: f.mustChange ?? false });
        process.stdout.write(`added user ${u.username} (tenant ${u.tenantId}, role ${u.role}, id ${u.userId})\n`);
      }),
    );
  user
    .command('list')
    .option('--tenant <id>', 'only this tenant\'s users')
    .option('--json', 'machine-readable output')
    .option(...dataDir)
    .description('list users (never their password hashes)')
    .action((f: { tenant?: string; json?: boolean; dataDir?: string }) =>
      withCore(f.dataDir, async ({ store }) => {
        const rows = (await store.listUsers(f.tenant)).map(({ passwordHash: _hash, ...rest }) => rest);
        if (f.json) printJson(rows.map((u) => ({ ...u, createdAt: isoFromMillis(u.createdAt), updatedAt: isoFromMillis(u.updatedAt) })));
        else
          printTable(
            rows.map((u) => ({ username: u.username, tenant: u.tenantId, role: u.role, email: u.email, state: u.disabled ? 'disabled' : u.mustChangePassword ? 'must change password' : 'active' })),
            ['username', 'tenant', 'role', 'email', 'state'],
          );
      }),
    );
  user
    .command('passwd <username>')
    .option('--must-change', 'the user must choose a new password at the next login')
    .option(...dataDir)
    .description('set a new password (stdin or prompt); ends the user\'s sessions')
    .action((username: string, f: { mustChange?: boolean; dataDir?: string }) =>
      withCore(f.dataDir, async (core) => {
        const users = await core.users();
        await users.setPassword(username, await readPassword('New password'), { mustChange: f.mustChange ?? false });
        process.stdout.write(`password of ${username} changed; its refresh tokens are revoked\n`);
      }),
    );
  for (const [name, disabled] of [['disable', true], ['enable', false]] as const) {
    user
      .command(`${name} <username>`)
      .option(...dataDir)
      .description(disabled ? 'stop a user from logging in; revokes its refresh tokens' : 'allow a disabled user to log in again')
      .action((username: string, f: { dataDir?: string }) =>
        withCore(f.dataDir, async (core) => {
        const users = await core.users();
          await users.update(username, { disabled });
          process.stdout.write(`${username} ${disabled ? 'disabled' : 'enabled'}\n`);
        }),
      );
  }
  user
    .command('delete <username>')
    .option(...dataDir)
    .description('delete a user and its refresh tokens')
    .action((username: string, f: { dataDir?: string }) =>
      withCore(f.dataDir, async (core) => {
        const users = await core.users();
        await users.remove(username);
        process.stdout.write(`deleted ${username}\n`);
      }),
    );
  return user;
}

/** "Resource=view,edit" → [Resource, [view, edit]] */
export function parsePermission(text: string, previous: Record<string, string[]> = {}): Record<string, string[]> {
  const m = /^([A-Za-z][A-Za-z0-9_-]{0,63})=([a-z]+(?:,[a-z]+)*)$/.exec(text);
  if (!m) throw new InvalidArgument(`--permission "${text}" is not Resource=verb,verb`);
  return { ...previous, [m[1]]: m[2].split(',') };
}

import { Command } from 'commander';
import { checkIdList } from '../core/validate';
import { checkId } from '../pki/ids';
import { confirm } from './confirm';
import { collect, printJson, printTable } from './output';
import { withCore } from './with-core';

export function tenantCommand(): Command {
  const tenant = new Command('tenant').description('manage tenants in the configured store');
  tenant
    .command('add <tenantId>')
    .description('register a tenant, optionally with its device gateways')
    .option('--gateway <id>', 'device gateway ID (repeatable)', collect, [])
    .option('--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)')
    .action((tenantId: string, flags: { gateway: string[]; dataDir?: string }) =>
      withCore(flags.dataDir, async (core) => {
        const { tenants } = await core.admin();
        const gatewayIds = checkIdList(flags.gateway, '--gateway', { allowEmpty: true });
        await tenants.add([{ tenantId: checkId(tenantId, 'TENANT_ID'), gatewayIds }]);
        process.stdout.write(`added tenant ${tenantId}${gatewayIds.length ? ` with gateways ${gatewayIds.join(', ')}` : ''}\n`);
      }),
    );
  tenant
    .command('list')
    .description('list tenants and their device gateways')
    .option('--json', 'machine-readable output')
    .option('--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)')
    .action((flags: { json?: boolean; dataDir?: string }) =>
      withCore(flags.dataDir, async ({ store }) => {
        const tenants = await store.getTenants(await store.listTenants());
        if (flags.json) printJson(tenants);
        else printTable(tenants.map((t) => ({ tenant: t.tenantId, gateways: t.gatewayIds.join(',') })), ['tenant', 'gateways']);
      }),
    );
  tenant
    .command('delete <tenantId>')
    .description('delete a tenant and its gateway registrations; its certificates are blacklisted and its tokens stop working')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .option('--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)')
    .action((tenantId: string, flags: { yes?: boolean; dataDir?: string }, cmd: Command) => {
      // A script that forgot --yes must not hang on a question nobody sees, nor delete unasked.
      if (!flags.yes && !process.stdin.isTTY) cmd.error('error: tenant delete asks for confirmation, but stdin is not a terminal: add --yes to delete without asking', { exitCode: 2, code: 'commander.confirmationRequired' });
      return withCore(flags.dataDir, async (core) => {
        const { tenants } = await core.admin();
        const id = checkId(tenantId, 'TENANT_ID');
        if (!flags.yes) {
          const [{ gatewayIds }] = await tenants.get([id]);
          const what = `Delete tenant ${id} and its ${gatewayIds.length} gateway registration${gatewayIds.length === 1 ? '' : 's'}? Its certificates are blacklisted and its tokens stop working.`;
          if (!(await confirm(what))) {
            process.stderr.write(`tenant ${id} not deleted\n`);
            process.exitCode = 1;
            return;
          }
        }
        await tenants.delete([id]);
        process.stdout.write(`deleted tenant ${tenantId}\n`);
      });
    });
  return tenant;
}

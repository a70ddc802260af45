import { Command } from 'commander';
import { checkIdList } from '../core/validate';
import { checkId } from '../pki/ids';
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
    .option('--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)')
    .action((tenantId: string, flags: { dataDir?: string }) =>
      withCore(flags.dataDir, async (core) => {
        const { tenants } = await core.admin();
        await tenants.delete([checkId(tenantId, 'TENANT_ID')]);
        process.stdout.write(`deleted tenant ${tenantId}\n`);
      }),
    );
  return tenant;
}

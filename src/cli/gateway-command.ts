import { Command } from 'commander';
import { checkId } from '../pki/ids';
import { printJson, printTable } from './output';
import { withCore } from './with-core';

const dataDirOption = ['--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)'] as const;

export function gatewayCommand(): Command {
  const gateway = new Command('gateway').description('manage device gateway registrations in the configured store');
  gateway
    .command('add <tenantId> <gatewayIds...>')
    .description('register device gateways to a tenant (all or none)')
    .option(...dataDirOption)
    .action((tenantId: string, gatewayIds: string[], flags: { dataDir?: string }) =>
      withCore(flags.dataDir, async (core) => {
        const { tenants } = await core.admin();
        await tenants.addGateways(checkId(tenantId, 'TENANT_ID'), gatewayIds.map((g) => checkId(g, 'GATEWAY_ID')));
        process.stdout.write(`registered ${gatewayIds.join(', ')} to tenant ${tenantId}\n`);
      }),
    );
  gateway
    .command('list')
    .description('list device gateways and their tenants')
    .option('--tenant <id>', 'only this tenant\'s gateways')
    .option('--json', 'machine-readable output')
    .option(...dataDirOption)
    .action((flags: { tenant?: string; json?: boolean; dataDir?: string }) =>
      withCore(flags.dataDir, async ({ store }) => {
        const rows = await store.listGateways(flags.tenant);
        if (flags.json) printJson(rows);
        else printTable(rows.map((r) => ({ gateway: r.gatewayId, tenant: r.tenantId })), ['gateway', 'tenant']);
      }),
    );
  gateway
    .command('delete <tenantId> <gatewayIds...>')
    .description('unregister device gateways of a tenant (all or none); connected ones are disconnected')
    .option(...dataDirOption)
    .action((tenantId: string, gatewayIds: string[], flags: { dataDir?: string }) =>
      withCore(flags.dataDir, async (core) => {
        const { tenants } = await core.admin();
        const owner = checkId(tenantId, 'TENANT_ID');
        await tenants.deleteGateways(gatewayIds.map((g) => ({ gatewayId: checkId(g, 'GATEWAY_ID'), tenantId: owner })));
        process.stdout.write(`unregistered ${gatewayIds.join(', ')} from tenant ${tenantId}\n`);
      }),
    );
  return gateway;
}

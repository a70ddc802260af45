import { Command } from 'commander';
import { GatewayError, GatewayNotFound } from '../errors';
import { checkId } from '../pki/ids';
import { Store } from '../store/store';
import { printJson, printTable } from './output';
import { withCore } from './with-core';

/**
 * The Tenant API answers "does not exist" for another tenant's gateway, so a tenant learns nothing of
 * others; the operator may know, so the CLI names the owner. Anything else is rethrown as it was.
 */
async function withOwnersNamed(err: unknown, store: Store, tenantId: string, gatewayIds: string[]): Promise<never> {
  if (!(err instanceof GatewayError) || err.code !== 'ERR_GATEWAY_NOT_FOUND') throw err;
  const owners = new Map((await store.listGateways()).map((g) => [g.gatewayId, g.tenantId]));
  const foreign = gatewayIds.filter((g) => owners.has(g) && owners.get(g) !== tenantId);
  if (foreign.length === 0) throw err;
  const whose = foreign.map((g) => `gateway ${g} belongs to tenant ${owners.get(g)}`).join(', ');
  throw new GatewayNotFound(`${whose}, not to ${tenantId}: nothing was unregistered`, { cause: err });
}

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
        const ids = gatewayIds.map((g) => checkId(g, 'GATEWAY_ID'));
        await tenants.deleteGateways(ids.map((gatewayId) => ({ gatewayId, tenantId: owner }))).catch((err: unknown) => withOwnersNamed(err, core.store, owner, ids));
        process.stdout.write(`unregistered ${gatewayIds.join(', ')} from tenant ${tenantId}\n`);
      }),
    );
  return gateway;
}

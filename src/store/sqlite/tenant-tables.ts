/** Tenants and gateways in the embedded database. */
import { AlreadyExists, GatewayNotFound, TenantNotFound } from '../../errors';
import { quotaExceeded } from '../gateway-quota';
import { GatewayRow, toGateway } from '../rows';
import { newTenantGeneration, TenantRecord, TenantStore } from '../store';
import { SqliteContext } from './sqlite-context';
import { Statements } from './statements';

const unixNow = () => Math.floor(Date.now() / 1000);

/** Inside the caller's transaction: throws AlreadyExists at the first gateway ID taken. */
function insertGateways(sql: Statements['sql'], tenantId: string, gatewayIds: string[], now: number): void {
  const insert = sql('INSERT INTO gateways (gateway_id, tenant_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  for (const gatewayId of gatewayIds) {
    if (insert.run(gatewayId, tenantId, now).changes === 0) {
      throw new AlreadyExists(`gateway ${gatewayId} is already registered`);
    }
  }
}

export function tenantTables({ pluck, sql, write }: SqliteContext): TenantStore {
  return {
    async listTenants() {
      return pluck('SELECT tenant_id FROM tenants ORDER BY tenant_id').all() as string[];
    },

    async hasTenant(tenantId) {
      return sql('SELECT 1 FROM tenants WHERE tenant_id = ?').get(tenantId) !== undefined;
    },

    async tenantGeneration(tenantId) {
      return pluck('SELECT generation FROM tenants WHERE tenant_id = ?').get(tenantId) as string | undefined;
    },

    async getTenants(tenantIds) {
      const exists = pluck('SELECT 1 FROM tenants WHERE tenant_id = ?');
      const gateways = pluck('SELECT gateway_id FROM gateways WHERE tenant_id = ? ORDER BY gateway_id');
      return tenantIds
        .filter((id) => exists.get(id) !== undefined)
        .map((tenantId) => ({ tenantId, gatewayIds: gateways.all(tenantId) as string[] }));
    },

    async addTenants(tenants: TenantRecord[]) {
      await write(['tenants'], () => {
        const now = unixNow();
        const insert = sql('INSERT INTO tenants (tenant_id, created_at, generation) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
        for (const tenant of tenants) {
          if (insert.run(tenant.tenantId, now, newTenantGeneration()).changes === 0) {
            throw new AlreadyExists(`tenant ${tenant.tenantId} already exists`);
          }
          insertGateways(sql, tenant.tenantId, tenant.gatewayIds, now);
        }
      });
    },

    async deleteTenants(tenantIds) {
      await write(['tenants'], () => {
        const remove = sql('DELETE FROM tenants WHERE tenant_id = ?');
        for (const id of tenantIds) {
          if (remove.run(id).changes === 0) throw new TenantNotFound(`tenant ${id} does not exist`);
        }
      });
    },

    async listGateways(tenantId) {
      const rows = (
        tenantId === undefined
          ? sql('SELECT gateway_id, tenant_id FROM gateways ORDER BY gateway_id').all()
          : sql('SELECT gateway_id, tenant_id FROM gateways WHERE tenant_id = ? ORDER BY gateway_id').all(tenantId)
      ) as GatewayRow[];
      return rows.map(toGateway);
    },

    async findGateway(gatewayId) {
      const row = sql('SELECT gateway_id, tenant_id FROM gateways WHERE gateway_id = ?').get(gatewayId) as GatewayRow | undefined;
      return row && toGateway(row);
    },

    async addGateways(tenantId, gatewayIds, maxPerTenant = Infinity) {
      await write(['tenants'], () => {
        if (sql('SELECT 1 FROM tenants WHERE tenant_id = ?').get(tenantId) === undefined) {
          throw new TenantNotFound(`tenant ${tenantId} does not exist`);
        }
        if (maxPerTenant !== Infinity) {
          const { n } = sql('SELECT count(*) AS n FROM gateways WHERE tenant_id = ?').get(tenantId) as { n: number };
          if (n + gatewayIds.length > maxPerTenant) throw quotaExceeded(tenantId, n, gatewayIds.length, maxPerTenant);
        }
        insertGateways(sql, tenantId, gatewayIds, unixNow());
      });
    },

    async deleteGateways(gateways) {
      await write(['tenants'], () => {
        const remove = sql('DELETE FROM gateways WHERE gateway_id = ? AND tenant_id = ?');
        for (const { gatewayId, tenantId } of gateways) {
          if (remove.run(gatewayId, tenantId).changes === 0) throw new GatewayNotFound(`gateway ${gatewayId} does not exist`);
        }
      });
    },
  };
}

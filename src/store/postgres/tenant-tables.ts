/** Tenants and gateways in PostgreSQL. */
import { AlreadyExists, GatewayNotFound, TenantNotFound } from '../../errors';
import { quotaExceeded } from '../gateway-quota';
import { GatewayRow, toGateway } from '../rows';
import { GatewayRecord, newTenantGeneration, TenantRecord, TenantStore } from '../store';
import { Query } from './database';
import { PostgresContext } from './postgres-context';
import { onViolation } from './store-error';

const unixNow = () => Math.floor(Date.now() / 1000);

/** The first of `wanted` (in order, counting repeats) that `got` does not hold. */
function firstNotIn(wanted: string[], got: string[]): string | undefined {
  const left = new Map<string, number>();
  for (const id of got) left.set(id, (left.get(id) ?? 0) + 1);
  for (const id of wanted) {
    const n = left.get(id) ?? 0;
    if (n === 0) return id;
    left.set(id, n - 1);
  }
  return undefined;
}

async function insertGateways(q: Query, gateways: GatewayRecord[], now: number): Promise<void> {
  if (gateways.length === 0) return;
  const { rows } = await q<{ gateway_id: string }>(
    `INSERT INTO gateways (gateway_id, tenant_id, created_at)
     SELECT g, t, $3 FROM unnest($1::text[], $2::text[]) AS x (g, t) ORDER BY g ON CONFLICT DO NOTHING RETURNING gateway_id`,
    [gateways.map((g) => g.gatewayId), gateways.map((g) => g.tenantId), now],
  );
  const ids = gateways.map((g) => g.gatewayId);
  const taken = firstNotIn(ids, rows.map((r) => r.gateway_id));
  if (taken !== undefined) throw new AlreadyExists(`gateway ${taken} is already registered`);
}

export function tenantTables({ db, write }: PostgresContext): TenantStore {
  return {
    async listTenants(): Promise<string[]> {
      const { rows } = await db.query<{ tenant_id: string }>('SELECT tenant_id FROM tenants ORDER BY tenant_id');
      return rows.map((r) => r.tenant_id);
    },

    async hasTenant(tenantId: string): Promise<boolean> {
      const { rows } = await db.query('SELECT 1 FROM tenants WHERE tenant_id = $1', [tenantId]);
      return rows.length > 0;
    },

    async tenantGeneration(tenantId: string): Promise<string | undefined> {
      const { rows } = await db.query<{ generation: string }>('SELECT generation FROM tenants WHERE tenant_id = $1', [tenantId]);
      return rows[0]?.generation;
    },

    async getTenants(tenantIds: string[]): Promise<TenantRecord[]> {
      if (tenantIds.length === 0) return [];
      const { rows } = await db.query<{ tenant_id: string; gateway_ids: string[] }>(
        `SELECT t.tenant_id, COALESCE(array_agg(g.gateway_id ORDER BY g.gateway_id) FILTER (WHERE g.gateway_id IS NOT NULL), '{}') AS gateway_ids
         FROM tenants t LEFT JOIN gateways g ON g.tenant_id = t.tenant_id
         WHERE t.tenant_id = ANY($1::text[]) GROUP BY t.tenant_id`,
        [tenantIds],
      );
      const found = new Map(rows.map((r) => [r.tenant_id, r.gateway_ids]));
      return tenantIds.filter((id) => found.has(id)).map((tenantId) => ({ tenantId, gatewayIds: [...(found.get(tenantId) ?? [])] }));
    },

    async addTenants(tenants: TenantRecord[]): Promise<void> {
      await write(['tenants'], async (q) => {
        const now = unixNow();
        const ids = tenants.map((t) => t.tenantId);
        // Sorted, so concurrent batches lock rows in the same order and cannot deadlock.
        const added = await q<{ tenant_id: string }>(
          `INSERT INTO tenants (tenant_id, created_at, generation) SELECT id, $2, gen FROM unnest($1::text[], $3::text[]) AS t (id, gen)
           ORDER BY id ON CONFLICT DO NOTHING RETURNING tenant_id`,
          [ids, now, ids.map(() => newTenantGeneration())],
        );
        const taken = firstNotIn(ids, added.rows.map((r) => r.tenant_id));
        if (taken !== undefined) throw new AlreadyExists(`tenant ${taken} already exists`);
        await insertGateways(q, tenants.flatMap((t) => t.gatewayIds.map((gatewayId) => ({ gatewayId, tenantId: t.tenantId }))), now);
      });
    },

    async deleteTenants(tenantIds: string[]): Promise<void> {
      await write(['tenants'], async (q) => {
        const { rows } = await q<{ tenant_id: string }>('DELETE FROM tenants WHERE tenant_id = ANY($1::text[]) RETURNING tenant_id', [tenantIds]);
        const missing = firstNotIn(tenantIds, rows.map((r) => r.tenant_id));
        if (missing !== undefined) throw new TenantNotFound(`tenant ${missing} does not exist`);
      });
    },

    async listGateways(tenantId?: string): Promise<GatewayRecord[]> {
      const { rows } =
        tenantId === undefined
          ? await db.query<GatewayRow>('SELECT gateway_id, tenant_id FROM gateways ORDER BY gateway_id')
          : await db.query<GatewayRow>(
              'SELECT gateway_id, tenant_id FROM gateways WHERE tenant_id = $1 ORDER BY gateway_id',
              [tenantId],
            );
      return rows.map(toGateway);
    },

    async findGateway(gatewayId: string): Promise<GatewayRecord | undefined> {
      const { rows } = await db.query<GatewayRow>('SELECT gateway_id, tenant_id FROM gateways WHERE gateway_id = $1', [gatewayId]);
      return rows[0] && toGateway(rows[0]);
    },

    async addGateways(tenantId: string, gatewayIds: string[], maxPerTenant = Infinity): Promise<void> {
      const missingTenant = () => new TenantNotFound(`tenant ${tenantId} does not exist`);
      await write(['tenants'], async (q) => {
        // The tenant's row is locked (not against the foreign-key checks of inserts), so parallel adds
        // to one tenant count one after the other and cannot pass the bound together.
        const lock = maxPerTenant === Infinity ? '' : ' FOR NO KEY UPDATE';
        if ((await q(`SELECT 1 FROM tenants WHERE tenant_id = $1${lock}`, [tenantId])).rowCount === 0) throw missingTenant();
        if (maxPerTenant !== Infinity) {
          const n = Number((await q<{ n: string }>('SELECT count(*) AS n FROM gateways WHERE tenant_id = $1', [tenantId])).rows[0].n);
          if (n + gatewayIds.length > maxPerTenant) throw quotaExceeded(tenantId, n, gatewayIds.length, maxPerTenant);
        }
        await insertGateways(q, gatewayIds.map((gatewayId) => ({ gatewayId, tenantId })), unixNow());
      }).catch(onViolation({ gateways_tenant_id_fkey: missingTenant }));
    },

    async deleteGateways(gateways: GatewayRecord[]): Promise<void> {
      await write(['tenants'], async (q) => {
        const { rows } = await q<{ gateway_id: string }>(
          `DELETE FROM gateways g USING unnest($1::text[], $2::text[]) AS d(gateway_id, tenant_id)
           WHERE g.gateway_id = d.gateway_id AND g.tenant_id = d.tenant_id RETURNING g.gateway_id`,
          [gateways.map((g) => g.gatewayId), gateways.map((g) => g.tenantId)],
        );
        const missing = firstNotIn(gateways.map((g) => g.gatewayId), rows.map((r) => r.gateway_id));
        if (missing !== undefined) throw new GatewayNotFound(`gateway ${missing} does not exist`);
      });
    },
  };
}

/**
 * In-memory view of what authenticated calls check and read most: registered tenants and their
 * gateways, blacklisted serials and revoked token IDs. Loaded from the store at start and
 * refreshed by the core after its own writes (so a change is in force before the call that made it
 * returns) and when the store reports a change made elsewhere (the CLI, another instance).
 */
import { Store, StoreTopic } from '../store/store';
import { Clock, unixSeconds } from './clock';

export interface Directory {
  hasTenant(tenantId: string): boolean;
  tenantIds(): string[];
  /** Owner tenant of a gateway, if registered. */
  gatewayOwner(gatewayId: string): string | undefined;
  /** Gateways of one tenant, or of all tenants, sorted by ID. */
  gatewayIds(tenantId?: string): string[];
  isBlacklisted(serial: bigint): boolean;
  isRevoked(jti: string): boolean;
  /** Records a revocation here at once (the store write happens first, by the caller). */
  noteRevoked(jti: string, expiresAt: number): void;
  refresh(topic: StoreTopic): Promise<void>;
}

export async function createDirectory(store: Store, clock: Clock): Promise<Directory> {
  let tenants = new Set<string>();
  let gateways = new Map<string, string>();
  let byTenant = new Map<string, string[]>();
  let allGateways: string[] = [];
  let blacklist = new Set<bigint>();
  let revoked = new Map<string, number>();

  const loaders: Partial<Record<StoreTopic, () => Promise<void>>> = {
    tenants: async () => {
      const [ids, registrations] = await Promise.all([store.listTenants(), store.listGateways()]);
      tenants = new Set(ids);
      gateways = new Map(registrations.map((g) => [g.gatewayId, g.tenantId]));
      allGateways = registrations.map((g) => g.gatewayId).sort();
      byTenant = new Map();
      for (const id of allGateways) {
        const owner = gateways.get(id)!;
        const list = byTenant.get(owner);
        if (list) list.push(id);
        else byTenant.set(owner, [id]);
      }
    },
    blacklist: async () => {
      blacklist = new Set((await store.listBlacklist()).map((e) => e.serial));
    },
    tokens: async () => {
      const rows = await store.listRevokedTokens(unixSeconds(clock));
      revoked = new Map(rows.map((r) => [r.jti, r.expiresAt]));
    },
  };
  const refresh = async (topic: StoreTopic) => {
    await loaders[topic]?.();
  };
  await Promise.all(Object.values(loaders).map((load) => load()));

  return {
    hasTenant: (id) => tenants.has(id),
    tenantIds: () => [...tenants].sort(),
    gatewayOwner: (id) => gateways.get(id),
    gatewayIds: (tenantId) => (tenantId === undefined ? allGateways : (byTenant.get(tenantId) ?? [])),
    isBlacklisted: (serial) => blacklist.has(serial),
    isRevoked: (jti) => revoked.has(jti),
    noteRevoked: (jti, expiresAt) => {
      revoked.set(jti, expiresAt);
    },
    refresh,
  };
}

/**
 * Device gateway registrations held in memory, changed in place. A change made by this process
 * touches only the lists of the tenants it concerns (a tenant with k gateways: O(k)), instead of
 * rereading and re-sorting every registration of every tenant on each Add (that made one tenant's
 * 60,000 Adds slow every other tenant's calls and grew the heap to a gigabyte).
 * Lists handed out are frozen and replaced, never changed, so a caller may keep what it made from one.
 */
import { GatewayRecord } from '../store/store';

const NO_GATEWAYS: readonly string[] = Object.freeze([]);

export interface GatewayRegistry {
  owner(gatewayId: string): string | undefined;
  /** Sorted, frozen; the same array until the tenant's (or, without a tenant, anyone's) registrations change. */
  ids(tenantId?: string): readonly string[];
  add(records: readonly GatewayRecord[]): void;
  remove(records: readonly GatewayRecord[]): void;
  removeTenants(tenantIds: readonly string[]): void;
  /** Everything at once (a reload from the store). */
  replace(records: readonly GatewayRecord[]): void;
}

/** `list` with `ids` (sorted, none already in it) merged in: one pass. */
function merged(list: readonly string[], ids: string[]): string[] {
  ids.sort();
  const out: string[] = [];
  let i = 0;
  for (const id of ids) {
    while (i < list.length && list[i] < id) out.push(list[i++]);
    out.push(id);
  }
  while (i < list.length) out.push(list[i++]);
  return out;
}

export function createGatewayRegistry(): GatewayRegistry {
  const owners = new Map<string, string>();
  const byTenant = new Map<string, readonly string[]>();
  // Every tenant's gateways, made when first asked for after a change (only the administrator asks).
  let all: readonly string[] | undefined;

  const group = (records: readonly GatewayRecord[]) => {
    const groups = new Map<string, string[]>();
    for (const { gatewayId, tenantId } of records) {
      const ids = groups.get(tenantId);
      if (ids) ids.push(gatewayId);
      else groups.set(tenantId, [gatewayId]);
    }
    return groups;
  };

  const setList = (tenantId: string, list: string[]) => {
    if (list.length === 0) byTenant.delete(tenantId);
    else byTenant.set(tenantId, Object.freeze(list));
    all = undefined;
  };

  const registry: GatewayRegistry = {
    owner: (gatewayId) => owners.get(gatewayId),
    ids(tenantId) {
      if (tenantId !== undefined) return byTenant.get(tenantId) ?? NO_GATEWAYS;
      all ??= Object.freeze([...owners.keys()].sort());
      return all;
    },
    add(records) {
      for (const [tenantId, ids] of group(records)) {
        const fresh = ids.filter((id) => owners.get(id) !== tenantId);
        if (fresh.length === 0) continue;
        // Held for another tenant (memory behind the store): it moves.
        const moved = fresh.flatMap((id) => {
          const owner = owners.get(id);
          return owner === undefined ? [] : [{ gatewayId: id, tenantId: owner }];
        });
        if (moved.length) registry.remove(moved);
        for (const id of fresh) owners.set(id, tenantId);
        setList(tenantId, merged(byTenant.get(tenantId) ?? NO_GATEWAYS, fresh));
      }
    },
    remove(records) {
      for (const [tenantId, ids] of group(records)) {
        const gone = new Set(ids.filter((id) => owners.get(id) === tenantId));
        if (gone.size === 0) continue;
        for (const id of gone) owners.delete(id);
        setList(tenantId, (byTenant.get(tenantId) ?? NO_GATEWAYS).filter((id) => !gone.has(id)));
      }
    },
    removeTenants(tenantIds) {
      for (const tenantId of tenantIds) {
        const list = byTenant.get(tenantId);
        if (!list) continue;
        for (const id of list) owners.delete(id);
        setList(tenantId, []);
      }
    },
    replace(records) {
      owners.clear();
      byTenant.clear();
      all = undefined;
      for (const [tenantId, ids] of group(records)) {
        for (const id of ids) owners.set(id, tenantId);
        byTenant.set(tenantId, Object.freeze(ids.sort()));
      }
    },
  };
  return registry;
}

/**
 * What authenticated calls check: registered tenants, gateways, blacklisted serials, revoked token
 * IDs. Memory must not grow with tenants or revocations, so those two stay in the store: tenants
 * behind a bounded cache of IDs known to be registered, revocations behind nothing. Each has an
 * epoch that moves on every change, so a check made earlier (a token cached on a connection) is
 * known to be stale and made again. Gateways and the blacklist are held in memory.
 * The core refreshes after its own writes (so a change is in force before the call that made it
 * returns) and when the store reports a change made elsewhere (the CLI, another instance).
 */
import { Store, StoreTopic } from '../store/store';
import { Clock, unixSeconds } from './clock';

const NO_GATEWAYS: readonly string[] = Object.freeze([]);

export const TENANT_CACHE_SIZE = 4096;

export interface Directory {
  /** From the cache when the tenant's answer is remembered (no store call), else from the store. */
  hasTenant(tenantId: string): boolean | Promise<boolean>;
  /**
   * The tenant's generation (new each time the tenant is added), undefined when it is not registered;
   * cached like hasTenant. A token issued for another generation is one of a deleted tenant.
   */
  tenantGeneration(tenantId: string): string | undefined | Promise<string | undefined>;
  /** Moves whenever tenants may have changed: a tenant check made at an older epoch is stale. */
  tenantsEpoch(): number;
  /** Owner tenant of a gateway, if registered. */
  gatewayOwner(gatewayId: string): string | undefined;
  /**
   * Gateways of one tenant, or of all tenants, sorted by ID. Frozen, and replaced (never changed) when
   * the registrations change: a caller may keep what it made from a list while the same list comes back
   * (gateway-service keeps its encoded GetList answer).
   */
  gatewayIds(tenantId?: string): readonly string[];
  isBlacklisted(serial: bigint): boolean;
  /** Asks the store. */
  isRevoked(jti: string): Promise<boolean>;
  /** Moves on every revocation, here or elsewhere: a revocation check made at an older epoch is stale. */
  revocationEpoch(): number;
  /** A revocation was just written (by the caller): revocation checks made before now are stale. */
  noteRevoked(): void;
  refresh(topic: StoreTopic): Promise<void>;
}

export interface DirectoryOptions {
  /** How many tenant IDs (registered or not) to remember (least recently used go first). */
  tenantCacheSize?: number;
}

/**
 * Revocations of tokens that expired before this (Unix seconds) may go: ten minutes back, so an
 * instance whose clock runs behind this one's still finds the revocation of a token it deems live.
 */
export const REVOCATION_PURGE_MARGIN_S = 600;
export const revocationPurgeCutoff = (clock: Clock) => unixSeconds(clock) - REVOCATION_PURGE_MARGIN_S;

export async function createDirectory(store: Store, clock: Clock, options: DirectoryOptions = {}): Promise<Directory> {
  const cacheSize = options.tenantCacheSize ?? TENANT_CACHE_SIZE;
  // Generation, or null (not registered), per tenant ID. A Map iterates in insertion order: the first entry is the least recently used.
  const tenantAnswers = new Map<string, string | null>();
  let tenantsEpoch = 0;
  let revocationEpoch = 0;
  let gateways = new Map<string, string>();
  let byTenant = new Map<string, readonly string[]>();
  let allGateways: readonly string[] = NO_GATEWAYS;
  let gatewaysLoad = 0;
  let blacklist = new Set<bigint>();

  const remember = (tenantId: string, generation: string | null) => {
    if (tenantAnswers.size >= cacheSize) tenantAnswers.delete(tenantAnswers.keys().next().value as string);
    tenantAnswers.set(tenantId, generation);
  };

  function tenantGeneration(tenantId: string): string | undefined | Promise<string | undefined> {
    const known = tenantAnswers.get(tenantId);
    if (known !== undefined) {
      tenantAnswers.delete(tenantId);
      tenantAnswers.set(tenantId, known);
      return known ?? undefined;
    }
    const epoch = tenantsEpoch;
    return store.tenantGeneration(tenantId).then((generation) => {
      // An answer read before a change may be stale: use it, but do not remember it. "Not
      // registered" is remembered too, so a certificate of a deleted tenant costs no query per Login.
      if (epoch === tenantsEpoch) remember(tenantId, generation ?? null);
      return generation;
    });
  }

  const loadGateways = async () => {
    const load = ++gatewaysLoad;
    const registrations = await store.listGateways();
    // A slower, older load must not overwrite a newer one.
    if (load !== gatewaysLoad) return;
    gateways = new Map(registrations.map((g) => [g.gatewayId, g.tenantId]));
    const sorted = registrations.map((g) => g.gatewayId).sort();
    const lists = new Map<string, string[]>();
    for (const id of sorted) {
      const owner = gateways.get(id)!;
      const list = lists.get(owner);
      if (list) list.push(id);
      else lists.set(owner, [id]);
    }
    allGateways = Object.freeze(sorted);
    byTenant = new Map([...lists].map(([owner, list]) => [owner, Object.freeze(list)]));
  };

  const loaders: Partial<Record<StoreTopic, () => Promise<void>>> = {
    tenants: () => {
      // At once, before anything is awaited: no stale answer survives the refresh call.
      tenantAnswers.clear();
      tenantsEpoch++;
      return loadGateways();
    },
    blacklist: async () => {
      blacklist = new Set((await store.listBlacklist()).map((e) => e.serial));
    },
    tokens: async () => {
      revocationEpoch++;
    },
  };
  const refresh = async (topic: StoreTopic) => {
    await loaders[topic]?.();
  };
  await Promise.all([loadGateways(), loaders.blacklist!(), store.purgeRevokedTokens(revocationPurgeCutoff(clock))]);

  return {
    hasTenant(tenantId) {
      const generation = tenantGeneration(tenantId);
      return generation instanceof Promise ? generation.then((g) => g !== undefined) : generation !== undefined;
    },
    tenantGeneration,
    tenantsEpoch: () => tenantsEpoch,
    gatewayOwner: (id) => gateways.get(id),
    gatewayIds: (tenantId) => (tenantId === undefined ? allGateways : (byTenant.get(tenantId) ?? NO_GATEWAYS)),
    isBlacklisted: (serial) => blacklist.has(serial),
    isRevoked: (jti) => store.isTokenRevoked(jti),
    revocationEpoch: () => revocationEpoch,
    noteRevoked: () => {
      revocationEpoch++;
    },
    refresh,
  };
}

/**
 * What authenticated calls check: registered tenants, gateways, blacklisted serials, revoked token
 * IDs. Memory must not grow with tenants or revocations, so those two stay in the store: tenants
 * behind a bounded cache of IDs known to be registered, revocations behind nothing. Each has an
 * epoch that moves on every change, so a check made earlier (a token cached on a connection) is
 * known to be stale and made again. Gateways and the blacklist are held in memory.
 * The core's own registration writes go through `write`, which applies them in memory (so a change is
 * in force before the call that made it returns, and costs only the tenants it touches); a change
 * the store reports from elsewhere (the CLI, another instance) rereads the registrations, one
 * reread at a time however many changes are reported meanwhile. Users and refresh tokens stay in the
 * store as well; their epoch (`usersEpoch`) lets the identity core remember what it read of them.
 */
import { GatewayError } from '../errors';
import { GatewayRecord, Store, StoreTopic } from '../store/store';
import { Clock, unixSeconds } from './clock';
import { createGatewayRegistry } from './gateway-registry';
import { createLru } from './lru';

/** What a registration write of this process changed, once it committed. */
export interface RegistrationChange {
  /** Tenants were added or deleted: tenant answers given before are stale. */
  tenantsChanged?: boolean;
  added?: readonly GatewayRecord[];
  removed?: readonly GatewayRecord[];
  /** Deleted tenants: their gateways go too. */
  removedTenants?: readonly string[];
}

export const TENANT_CACHE_SIZE = 4096;
/** Least time between the starts of two registration rereads (changes made elsewhere), ms. */
export const RELOAD_GAP_MS = 200;

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
  /**
   * Moves whenever a user or a refresh token's standing may have changed (a user added, changed,
   * disabled or deleted, a password changed, a refresh family revoked: the store's `users` topic,
   * here or elsewhere) and whenever tenants may have: a user answer read at an older epoch is stale.
   */
  usersEpoch(): number;
  /** A user write was just made (by the caller), perhaps without being told (a lost acknowledgement). */
  noteUsersChanged(): void;
  /**
   * Runs a registration write of this process (tenants, gateways) and, once it committed, applies
   * `change` in memory; the store's notice of that write (`external` false) then rereads nothing.
   */
  write<T>(fn: () => Promise<T>, change: RegistrationChange): Promise<T>;
  /** `external` false: a notice of this process's own write (see `write`). Undefined: reload regardless. */
  refresh(topic: StoreTopic, external?: boolean): Promise<void>;
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
  // Generation, or null (not registered), per tenant ID; the least recently used go first.
  const tenantAnswers = createLru<string, string | null>(cacheSize);
  let tenantsEpoch = 0;
  let revocationEpoch = 0;
  let usersEpoch = 0;
  const registry = createGatewayRegistry();
  let gatewaysLoad = 0;
  let ownWrites = 0;
  let blacklist = new Set<bigint>();
  let blacklistReload: Promise<void> = Promise.resolve();

  const remember = (tenantId: string, generation: string | null) => tenantAnswers.set(tenantId, generation);

  function tenantGeneration(tenantId: string): string | undefined | Promise<string | undefined> {
    const known = tenantAnswers.get(tenantId);
    if (known !== undefined) return known ?? undefined;
    const epoch = tenantsEpoch;
    return store.tenantGeneration(tenantId).then((generation) => {
      // An answer read before a change may be stale: use it, but do not remember it. "Not
      // registered" is remembered too, so a certificate of a deleted tenant costs no query per Login.
      if (epoch === tenantsEpoch) remember(tenantId, generation ?? null);
      return generation;
    });
  }

  const loadGateways = async () => {
    for (;;) {
      const load = ++gatewaysLoad;
      const registrations = await store.listGateways();
      // A change applied meanwhile may be missing from what was read: read again.
      if (load === gatewaysLoad) return registry.replace(registrations);
    }
  };
  // One reload at a time; notices arriving meanwhile share the one reload that follows it, which
  // starts RELOAD_GAP_MS after the one before at the earliest: a flood of changes made elsewhere
  // costs this process a few rereads a second, not one per change.
  let loading: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  let lastStart = 0;
  const reloadGateways = (): Promise<void> => {
    if (next) return next;
    if (!loading) {
      lastStart = Date.now();
      loading = loadGateways().finally(() => {
        loading = undefined;
      });
      return loading;
    }
    next ??= loading
      .catch(() => undefined)
      .then(() => new Promise((resolve) => setTimeout(resolve, Math.max(0, lastStart + RELOAD_GAP_MS - Date.now()))))
      .then(() => {
        next = undefined;
        return reloadGateways();
      });
    return next;
  };
  const tenantsChanged = () => {
    // At once, before anything is awaited: no stale answer survives the refresh call.
    tenantAnswers.clear();
    tenantsEpoch++;
    // A deleted tenant's users go with it.
    usersEpoch++;
  };
  const apply = (change: RegistrationChange) => {
    if (change.tenantsChanged) tenantsChanged();
    if (change.removedTenants) registry.removeTenants(change.removedTenants);
    if (change.removed) registry.remove(change.removed);
    if (change.added) registry.add(change.added);
    // A reload that read the store before this write committed would undo it: it reads again.
    gatewaysLoad++;
  };

  const loaders: Partial<Record<StoreTopic, () => Promise<void>>> = {
    tenants: () => {
      tenantsChanged();
      return reloadGateways();
    },
    blacklist: () => {
      // One read at a time, each after the last was applied: two overlapping reads (PostgreSQL answers
      // on separate connections) could apply the older list last, and a caller waits for its own read.
      const reload = blacklistReload.catch(() => undefined).then(async () => {
        blacklist = new Set((await store.listBlacklist()).map((e) => e.serial));
      });
      blacklistReload = reload;
      return reload;
    },
    tokens: async () => {
      revocationEpoch++;
    },
    users: async () => {
      usersEpoch++;
    },
  };
  const refresh = async (topic: StoreTopic, external?: boolean) => {
    // This process's registration writes were applied in memory by `write`.
    if (topic === 'tenants' && external === false && ownWrites > 0) return;
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
    gatewayOwner: registry.owner,
    gatewayIds: registry.ids,
    isBlacklisted: (serial) => blacklist.has(serial),
    isRevoked: (jti) => store.isTokenRevoked(jti),
    revocationEpoch: () => revocationEpoch,
    noteRevoked: () => {
      revocationEpoch++;
    },
    usersEpoch: () => usersEpoch,
    noteUsersChanged: () => {
      usersEpoch++;
    },
    async write(fn, change) {
      ownWrites++;
      try {
        const result = await fn();
        apply(change);
        return result;
      } catch (err) {
        // A refusal changed nothing; anything else (a connection lost at commit) may have: reread the
        // registrations. Tenant answers stay: calls answered from memory keep working in an outage.
        if (!(err instanceof GatewayError) || err.code === 'ERR_STORE_UNAVAILABLE') void reloadGateways().catch(() => undefined);
        throw err;
      } finally {
        ownWrites--;
      }
    },
    refresh,
  };
}

/**
 * In-memory view of what every authenticated call checks: registered tenants, blacklisted serials
 * and revoked token IDs. Loaded from the store at start and reloaded when the store says it changed,
 * so the hot path never waits on the database.
 */
import { Store, StoreTopic } from '../store/store';
import { Clock, unixSeconds } from './clock';

export interface Directory {
  hasTenant(tenantId: string): boolean;
  isBlacklisted(serial: bigint): boolean;
  isRevoked(jti: string): boolean;
  /** Records a revocation here at once (the store write happens first, by the caller). */
  noteRevoked(jti: string, expiresAt: number): void;
  close(): void;
}

export async function createDirectory(store: Store, clock: Clock, onError: (err: unknown) => void): Promise<Directory> {
  let tenants = new Set<string>();
  let blacklist = new Set<bigint>();
  let revoked = new Map<string, number>();

  const loaders: Partial<Record<StoreTopic, () => Promise<void>>> = {
    tenants: async () => {
      tenants = new Set(await store.listTenants());
    },
    blacklist: async () => {
      blacklist = new Set((await store.listBlacklist()).map((e) => e.serial));
    },
    tokens: async () => {
      const rows = await store.listRevokedTokens(unixSeconds(clock));
      revoked = new Map(rows.map((r) => [r.jti, r.expiresAt]));
    },
  };
  await Promise.all(Object.values(loaders).map((load) => load()));
  const unsubscribe = store.onChange((topic) => {
    loaders[topic]?.().catch(onError);
  });

  return {
    hasTenant: (id) => tenants.has(id),
    isBlacklisted: (serial) => blacklist.has(serial),
    isRevoked: (jti) => revoked.has(jti),
    noteRevoked: (jti, expiresAt) => {
      revoked.set(jti, expiresAt);
    },
    close: unsubscribe,
  };
}

/**
 * Whether a token already verified is still good (not revoked, its tenant still registered and the
 * same generation: not deleted and added again since), told
 * from memory while the directory's epochs show no change since the last check, else asked again.
 * A token's entry is shared by every connection that presents it, and the latest ones are
 * remembered (bounded), so a change costs one store lookup per token in use, not one per
 * connection, and a token this gateway just issued needs no lookup at all.
 */
import { TokenRevoked } from '../errors';
import { Directory } from './directory';
import { CachedToken, VerifiedToken } from './peer';

export const RECENT_TOKENS = 1024;
export const LOGGED_OUT = 'token was revoked (logged out)';
export const RETIRED_KEY = 'token was signed by a retired key';

export interface TokenChecks {
  /** The entry of a token just verified on a connection: the shared one, or a new one never checked. */
  entry(token: VerifiedToken): CachedToken;
  /** A token just issued: it cannot be revoked yet, and its tenant was found registered at `tenantsEpoch`. */
  issued(token: VerifiedToken, tenantsEpoch: number): void;
  /** Makes again the checks whose epoch moved since the entry's; throws or rejects with TokenRevoked (StoreUnavailable if asking failed). */
  recheck(cached: CachedToken): void | Promise<void>;
}

/** `keyKnown`: whether a kid still verifies. Retiring a key moves the revocation epoch, so every cached token comes here. */
export function createTokenChecks(directory: Directory, keyKnown: (kid: string) => boolean): TokenChecks {
  // Two generations instead of evicting one entry per token (an iterator and a delete on every
  // Login): new entries go into `current`; when it is full it becomes `previous`, and the old
  // `previous` is dropped. Between RECENT_TOKENS and twice that many are remembered.
  let current = new Map<string, CachedToken>();
  let previous = new Map<string, CachedToken>();

  function remember(cached: CachedToken): CachedToken {
    if (current.size >= RECENT_TOKENS) {
      previous = current;
      current = new Map();
    }
    current.set(cached.token.jti, cached);
    return cached;
  }

  function recent(jti: string): CachedToken | undefined {
    const found = current.get(jti);
    if (found !== undefined) return found;
    const older = previous.get(jti);
    // Still in use: kept into the next generation.
    return older === undefined ? undefined : remember(older);
  }

  function tenantFound(cached: CachedToken, epoch: number, generation: string | undefined): void {
    if (generation === undefined) throw new TokenRevoked(`tenant ${cached.token.tenantId} is no longer registered`);
    // A tenant deleted and added again under the same ID: its old tokens stay dead.
    if (generation !== cached.token.tenantGeneration) throw new TokenRevoked(`tenant ${cached.token.tenantId} was deleted since this token was issued`);
    if (epoch > cached.tenantsEpoch) cached.tenantsEpoch = epoch;
  }

  function recheckTenant(cached: CachedToken): void | Promise<void> {
    const epoch = directory.tenantsEpoch();
    if (cached.tenantsEpoch === epoch) return;
    const known = directory.tenantGeneration(cached.token.tenantId);
    if (known instanceof Promise) return known.then((generation) => tenantFound(cached, epoch, generation));
    tenantFound(cached, epoch, known);
  }

  return {
    // Epoch -1: revocation and tenant were never checked, so the first use checks both.
    entry: (token) => recent(token.jti) ?? remember({ token, revocationEpoch: -1, tenantsEpoch: -1, revoked: false }),

    issued(token, tenantsEpoch) {
      remember({ token, revocationEpoch: directory.revocationEpoch(), tenantsEpoch, revoked: false });
    },

    recheck(cached) {
      // Not remembered as revoked: the check is cheap, and the epoch stays stale so it is made on every call.
      if (!keyKnown(cached.token.kid)) throw new TokenRevoked(RETIRED_KEY);
      // Many calls with one token after one change make one lookup, not one each. A call that
      // arrives after a further change does not join: the lookup in flight may predate that change.
      const revocationEpoch = directory.revocationEpoch();
      const tenantsEpoch = directory.tenantsEpoch();
      const { pending } = cached;
      if (pending && pending.revocationEpoch === revocationEpoch && pending.tenantsEpoch === tenantsEpoch) return pending.done;
      const done = checkAgain(cached);
      if (done instanceof Promise) {
        const entry = { revocationEpoch, tenantsEpoch, done };
        cached.pending = entry;
        const settle = () => {
          if (cached.pending === entry) cached.pending = undefined;
        };
        done.then(settle, settle);
      }
      return done;
    },
  };

  function checkAgain(cached: CachedToken): void | Promise<void> {
    // Epochs are read before the store is asked: a change made meanwhile leaves the entry stale.
    const epoch = directory.revocationEpoch();
    if (cached.revocationEpoch === epoch) return recheckTenant(cached);
    return directory.isRevoked(cached.token.jti).then((revoked) => {
      if (revoked) {
        cached.revoked = true;
        throw new TokenRevoked(LOGGED_OUT);
      }
      if (epoch > cached.revocationEpoch) cached.revocationEpoch = epoch;
      return recheckTenant(cached);
    });
  }
}

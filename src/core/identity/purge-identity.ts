/**
 * Drops the lockout counters and refresh tokens nothing will read again, in batches, so a backlog
 * (the first run on an old database) never holds the store for long at a time.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { PurgedIdentityRows, Store } from '../../store/store';
import { Clock } from '../clock';

/**
 * How long a refresh token family is kept after its newest token expired, in seconds. Tokens go by
 * whole families, once every token of the family expired: a spent token of a family still in use
 * must stay, since presenting it again (reuse) or revoking it revokes the family. An expired token
 * is refused before it is spent or checked for reuse, so a family whose tokens all expired has
 * nothing left to detect. The grace covers a rotation still adding the family's next token, and
 * instances whose clocks disagree.
 */
export const REFRESH_GRACE_SECONDS = 86_400;
/** Rows per table per transaction. */
export const PURGE_BATCH = 1000;

/**
 * Counters go once unlocked and older than the lockout's failure window (`windowMs`): the lockout
 * would forget them anyway. Stops between batches when `signal` is aborted.
 */
export async function purgeIdentity(store: Store, clock: Clock, windowMs: number, signal?: AbortSignal): Promise<PurgedIdentityRows> {
  const at = clock();
  // One set of cutoffs for the whole run, so the batches end: nothing new becomes purgeable.
  const cutoffs = { at, failuresBefore: at - windowMs, expiredBefore: Math.floor(at / 1000) - REFRESH_GRACE_SECONDS, limit: PURGE_BATCH };
  const total = { failureCounters: 0, refreshTokens: 0, refreshFamilies: 0 };
  for (;;) {
    const n = await store.purgeIdentityRows(cutoffs);
    total.failureCounters += n.failureCounters;
    total.refreshTokens += n.refreshTokens;
    total.refreshFamilies += n.refreshFamilies;
    if (Math.max(n.failureCounters, n.refreshTokens, n.refreshFamilies) < PURGE_BATCH || signal?.aborted) return total;
    // Requests waiting on the event loop (and, in SQLite, on the write lock) go between batches.
    await nextTurn();
  }
}

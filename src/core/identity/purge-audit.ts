/**
 * Audit events older than the retention go, in batches (see purgeIdentity): unauthenticated junk
 * made an audit row per request, and nothing ever dropped them.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Store } from '../../store/store';
import { Clock } from '../clock';
import { PURGE_BATCH } from './purge-identity';

export const DEFAULT_AUDIT_RETENTION_DAYS = 90;

export async function purgeAudit(store: Store, clock: Clock, retentionDays: number, signal?: AbortSignal): Promise<number> {
  // One cutoff for the whole run, so the batches end.
  const before = clock() - retentionDays * 86_400_000;
  let total = 0;
  for (;;) {
    const n = await store.purgeAudit(before, PURGE_BATCH);
    total += n;
    if (n < PURGE_BATCH || signal?.aborted) return total;
    await nextTurn();
  }
}

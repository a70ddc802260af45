/**
 * What the core tells whoever counts (the operations listener's /metrics, src/ops/): the core knows
 * no metrics library. Every argument is from a closed set (event kinds, outcomes, dialect names):
 * never a user name, tenant ID or token.
 */
import { AuditEvent } from '../store/store';

/** Plain counters the core bumps on its hot path (a field increment); whoever counts reads them when asked. */
export interface TokenCheckCounts {
  /** A call's token answered from memory: nothing changed since it was last checked. */
  memory: number;
  /** A call's token checked again by asking the store (a revocation or tenant change since, or first use). */
  store: number;
}

export interface CoreMetrics {
  /** An identity event as audited: logins, refreshes, lockouts, revocations, refresh-token reuse. */
  identityEvent(event: AuditEvent['event'], outcome: AuditEvent['outcome'], dialect: string): void;
  readonly tokenChecks: TokenCheckCounts;
}

export const NO_METRICS: CoreMetrics = {
  identityEvent: () => undefined,
  // Counted and never read.
  tokenChecks: { memory: 0, store: 0 },
};

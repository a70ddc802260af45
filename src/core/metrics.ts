/**
 * What the core tells whoever counts (the operations listener's /metrics, src/ops/): the core knows
 * no metrics library. Every argument is from a closed set (event kinds, outcomes, dialect names):
 * never a user name, tenant ID or token.
 */
import { AuditEvent } from '../store/store';

export interface CoreMetrics {
  /** An identity event as audited: logins, refreshes, lockouts, revocations, refresh-token reuse. */
  identityEvent(event: AuditEvent['event'], outcome: AuditEvent['outcome'], dialect: string): void;
}

export const NO_METRICS: CoreMetrics = {
  identityEvent: () => undefined,
};

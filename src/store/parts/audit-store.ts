/** The audit trail of the identity core (logins, refreshes, logouts, lockouts, revocations). */

export interface AuditEvent {
  /** Unix milliseconds. */
  at: number;
  event: 'login' | 'refresh' | 'logout' | 'lockout' | 'revocation' | 'password_change' | 'refresh_reuse';
  outcome: 'success' | 'failure' | 'locked' | 'incident';
  dialect: string;
  username: string | null;
  tenantId: string | null;
  address: string | null;
  detail: string | null;
}

export interface AuditStore {
  recordAudit(event: AuditEvent): Promise<void>;
  /** Newest first. */
  listAudit(limit: number): Promise<AuditEvent[]>;
  /**
   * Drops at most `limit` audit events recorded before `before` (Unix ms), oldest first, and says how
   * many went. Events are taken in the order they were recorded, up to the first one at or after
   * `before` (no index on time needed: a run costs about the rows it drops).
   */
  purgeAudit(before: number, limit: number): Promise<number>;
}

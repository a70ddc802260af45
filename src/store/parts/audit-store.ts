/**
 * The audit trail: the identity core's events (logins, refreshes, logouts, lockouts, revocations)
 * of every door, and every administrative change, with who made it.
 */

/** The identity core's events, then the administrative changes (what they touch, then what was done). */
export const AUDIT_KINDS = [
  'login',
  'login_admin',
  'refresh',
  'logout',
  'lockout',
  'revocation',
  'password_change',
  'refresh_reuse',
  'audit_overflow',
  'tenant_add',
  'tenant_delete',
  'gateway_add',
  'gateway_delete',
  'certificate_issue',
  'certificate_blacklist',
  'certificate_unblacklist',
  'user_add',
  'user_update',
  'user_password',
  'user_remove',
  'role_set',
  'role_delete',
  'key_rotate',
  'key_retire',
  'hmac_rotate',
  'key_reencrypt',
] as const;

export type AuditKind = (typeof AUDIT_KINDS)[number];

export interface AuditEvent {
  /** Unix milliseconds. */
  at: number;
  event: AuditKind;
  /** 'success' is an ok; every other outcome is a refusal. */
  outcome: 'success' | 'failure' | 'locked' | 'incident';
  /** The door: a REST dialect, 'grpc' or 'cli'. */
  dialect: string;
  username: string | null;
  tenantId: string | null;
  address: string | null;
  /** On a refusal, the GatewayError code; on an administrative change, what it touched. Never a secret. */
  detail: string | null;
  /**
   * Who acted, when the door knows: `cert:<serial> <subject>` (gRPC, the client certificate) or
   * `os:<user>` (the CLI). Absent on the REST dialects' events (their user is `username`).
   */
  actor?: string;
}

/** An event as read back, with its place in the trail (the paging cursor). */
export interface StoredAuditEvent extends AuditEvent {
  id: number;
}

export interface AuditQuery {
  /** Unix ms: events at or after. */
  since?: number;
  tenantId?: string;
  /** Part of the actor (a serial, a subject, an OS user) or the user name. */
  actor?: string;
  kind?: string;
  outcome?: 'ok' | 'refused';
  /** Only events before this one in the listing's order (the `id` of the last event of the previous page; none once it was purged). */
  beforeId?: number;
  limit: number;
}

export interface AuditStore {
  recordAudit(event: AuditEvent): Promise<void>;
  /** Several events in one transaction (the gRPC door's batches), in order: all or none. */
  recordAudits(events: AuditEvent[]): Promise<void>;
  /** Newest first. */
  listAudit(limit: number): Promise<AuditEvent[]>;
  /** Newest first by time (`at`, then `id` for events of one millisecond), filtered; at most `limit`. */
  queryAudit(query: AuditQuery): Promise<StoredAuditEvent[]>;
  /**
   * Drops at most `limit` audit events recorded before `before` (Unix ms), oldest first, and says how
   * many went. The time index finds them: a run costs about the rows it drops.
   */
  purgeAudit(before: number, limit: number): Promise<number>;
}

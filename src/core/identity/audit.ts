/** The audit trail: every login, refresh, failure, lockout, revocation and administrative change, in the store and the log, without secrets. */
import { Logger } from 'pino';
import { AuditEvent, Store } from '../../store/store';
import { Clock } from '../clock';
import { CoreMetrics, NO_METRICS } from '../metrics';
import { createTokenBuckets } from '../token-buckets';

export type AuditInput = Omit<AuditEvent, 'at' | 'username' | 'tenantId' | 'address' | 'detail'> &
  Partial<Pick<AuditEvent, 'username' | 'tenantId' | 'address' | 'detail'>>;

/**
 * An event to be recorded by a store write of its own (a rotation records its audit row in the
 * same transaction: refresh-tokens.ts): `committed` logs its line and counts it once that write
 * committed; nothing is logged or counted for one that did not.
 */
export interface PreparedAudit {
  event: AuditEvent;
  committed(): void;
}

/** Logs, counts and records an event (a failure to record it is logged, not thrown). */
export type Audit = (event: AuditInput) => Promise<void>;

/** The audit, and events prepared for a store write that records them itself. */
export type AuditTrail = Audit & { prepare(event: AuditInput): PreparedAudit };

/**
 * Failure lines logged per minute (at warn), in a burst of as many. Past that they are counted, and
 * one line says how many were left out (each is still in the store): junk from many addresses must
 * not fill the disk with log lines.
 */
export const AUDIT_WARN_LINES_PER_MINUTE = 600;

/** Child loggers kept for audit lines (one per kind, outcome and dialect seen). */
const AUDIT_LINE_LOGGERS = 256;

export function createAudit(store: Store, clock: Clock, log: Logger, metrics: CoreMetrics = NO_METRICS): AuditTrail {
  const budget = createTokenBuckets({ capacity: AUDIT_WARN_LINES_PER_MINUTE, periodMs: 60_000, clock });
  let unlogged = 0;

  // A child logger per kind, outcome and dialect (a closed set, capped anyway): pino writes a child's
  // fields pre-serialized, so a line costs ~0.3 µs and ~1 KB of garbage less; the line is the same.
  const lines = new Map<string, { log: Logger; msg: string }>();
  const lineOf = ({ event, outcome, dialect }: AuditEvent) => {
    const key = `${event}\u0000${outcome}\u0000${dialect}`;
    let line = lines.get(key);
    if (line === undefined) {
      line = { log: log.child({ audit: event, outcome, dialect }), msg: `audit ${event} ${outcome}` };
      if (lines.size < AUDIT_LINE_LOGGERS) lines.set(key, line);
    }
    return line;
  };

  const logLine = (event: AuditEvent) => {
    const level = event.outcome === 'success' ? 'info' : 'warn';
    if (level === 'warn') {
      if (budget.take('warn') > 0) {
        unlogged++;
        return;
      }
      if (unlogged > 0) {
        log.warn({ unlogged }, 'audit failure lines left out of the log (over the rate); every event is in the store');
        unlogged = 0;
      }
    }
    const line = lineOf(event);
    line.log[level]({ actor: event.actor, user: event.username, tenant: event.tenantId, address: event.address, detail: event.detail }, line.msg);
  };

  const made = (input: AuditInput): AuditEvent => ({
    at: clock(),
    event: input.event,
    outcome: input.outcome,
    dialect: input.dialect,
    username: input.username ?? null,
    tenantId: input.tenantId ?? null,
    address: input.address ?? null,
    detail: input.detail ?? null,
    actor: input.actor,
  });
  const told = (event: AuditEvent) => {
    logLine(event);
    metrics.identityEvent(event.event, event.outcome, event.dialect);
  };

  const record: Audit = async (input) => {
    const event = made(input);
    told(event);
    // The store groups the events recorded close together into one write (audit-batches.ts) and
    // answers each once its write committed: no acknowledged event is lost.
    try {
      await store.recordAudit(event);
    } catch (err) {
      log.error({ err }, 'could not record an audit event');
    }
  };
  const prepare = (input: AuditInput): PreparedAudit => {
    const event = made(input);
    return { event, committed: () => told(event) };
  };
  return Object.assign(record, { prepare });
}

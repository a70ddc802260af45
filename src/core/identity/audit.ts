/** The audit trail: every login, refresh, failure, lockout and revocation, in the store and the log, without secrets. */
import { Logger } from 'pino';
import { AuditEvent, Store } from '../../store/store';
import { Clock } from '../clock';

export type AuditInput = Omit<AuditEvent, 'at' | 'username' | 'tenantId' | 'address' | 'detail'> &
  Partial<Pick<AuditEvent, 'username' | 'tenantId' | 'address' | 'detail'>>;

export type Audit = (event: AuditInput) => Promise<void>;

export function createAudit(store: Store, clock: Clock, log: Logger): Audit {
  return async (input) => {
    const event: AuditEvent = { username: null, tenantId: null, address: null, detail: null, ...input, at: clock() };
    const level = event.outcome === 'success' ? 'info' : 'warn';
    log[level]({ audit: event.event, outcome: event.outcome, dialect: event.dialect, user: event.username, tenant: event.tenantId, address: event.address, detail: event.detail }, `audit ${event.event} ${event.outcome}`);
    try {
      await store.recordAudit(event);
    } catch (err) {
      log.error({ err }, 'could not record an audit event');
    }
  };
}

/** The audit trail in the embedded database. */
import { AuditRow, toAuditEvent } from '../rows';
import { AuditEvent, AuditStore } from '../store';
import { SqliteContext } from './sqlite-context';

export function auditTables({ db, write }: SqliteContext): AuditStore {
  return {
    async recordAudit(e: AuditEvent) {
      // Through write, like every change, so a write into deleted database files is noticed.
      await write([], () => {
        db.prepare('INSERT INTO audit_events (at, event, outcome, dialect, username, tenant_id, address, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
          e.at,
          e.event,
          e.outcome,
          e.dialect,
          e.username,
          e.tenantId,
          e.address,
          e.detail,
        );
      });
    },

    async purgeAudit(before: number, limit: number) {
      return write([], () =>
        db
          .prepare(
            `DELETE FROM audit_events WHERE id IN (
               SELECT id FROM audit_events
               WHERE id < coalesce((SELECT id FROM audit_events WHERE at >= ? ORDER BY id LIMIT 1), 9223372036854775807) AND at < ?
               ORDER BY id LIMIT ?)`,
          )
          .run(before, before, limit).changes,
      );
    },

    async listAudit(limit: number) {
      return (db.prepare('SELECT * FROM audit_events ORDER BY id DESC LIMIT ?').all(limit) as AuditRow[]).map(toAuditEvent);
    },
  };
}

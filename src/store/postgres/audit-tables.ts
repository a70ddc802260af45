/** The audit trail in PostgreSQL. */
import { AuditRow, toAuditEvent } from '../rows';
import { AuditEvent, AuditStore } from '../store';
import { PostgresContext } from './postgres-context';

export function auditTables({ db }: PostgresContext): AuditStore {
  return {
    async recordAudit(e: AuditEvent) {
      await db.query('INSERT INTO audit_events (at, event, outcome, dialect, username, tenant_id, address, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        e.at,
        e.event,
        e.outcome,
        e.dialect,
        e.username,
        e.tenantId,
        e.address,
        e.detail,
      ]);
    },

    async purgeAudit(before: number, limit: number) {
      const { rowCount } = await db.query(
        `DELETE FROM audit_events WHERE id IN (
           SELECT id FROM audit_events
           WHERE id < coalesce((SELECT id FROM audit_events WHERE at >= $1 ORDER BY id LIMIT 1), 9223372036854775807) AND at < $1
           ORDER BY id LIMIT $2)`,
        [before, limit],
      );
      return rowCount ?? 0;
    },

    async listAudit(limit: number) {
      const { rows } = await db.query<AuditRow>('SELECT at, event, outcome, dialect, username, tenant_id, address, detail FROM audit_events ORDER BY id DESC LIMIT $1', [limit]);
      return rows.map(toAuditEvent);
    },
  };
}

/** The audit trail in PostgreSQL. */
import { AUDIT_ORDER, auditWhere, AuditSyntax } from '../audit-query';
import { AuditRow, toAuditEvent, toStoredAuditEvent } from '../rows';
import { AuditEvent, AuditQuery, AuditStore } from '../store';
import { PostgresContext } from './postgres-context';

const POSTGRES_AUDIT: AuditSyntax = { param: (n) => `$${n}`, contains: (column, param) => `strpos(${column}, ${param}) > 0` };

const COLUMNS = 'at, event, outcome, dialect, username, tenant_id, address, detail, actor';
const values = (e: AuditEvent) => [e.at, e.event, e.outcome, e.dialect, e.username, e.tenantId, e.address, e.detail, e.actor ?? null];

const ROWS_PER_INSERT = 1000;

/** The statements that read and purge by time, exported so a test can hold them to the time index (EXPLAIN). */
export const PURGE_AUDIT = 'DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 ORDER BY at, id LIMIT $2)';
export function auditSelect(q: AuditQuery): { sql: string; params: unknown[] } {
  const { clause, params } = auditWhere(q, POSTGRES_AUDIT);
  return { sql: `SELECT id, ${COLUMNS} FROM audit_events ${clause} ${AUDIT_ORDER} LIMIT $${params.length + 1}`, params: [...params, q.limit] };
}

export function auditTables({ db, write }: PostgresContext): AuditStore {
  return {
    async recordAudit(e: AuditEvent) {
      await db.query(`INSERT INTO audit_events (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, values(e));
    },

    async recordAudits(events: AuditEvent[]) {
      if (events.length === 0) return;
      // One transaction; statements of at most ROWS_PER_INSERT rows (PostgreSQL takes 65,535 parameters a statement).
      await write([], async (q) => {
        for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
          const chunk = events.slice(start, start + ROWS_PER_INSERT);
          const rows = chunk.map((_e, i) => `(${Array.from({ length: 9 }, (_v, j) => `$${i * 9 + j + 1}`).join(', ')})`);
          await q(`INSERT INTO audit_events (${COLUMNS}) VALUES ${rows.join(', ')}`, chunk.flatMap(values));
        }
      });
    },

    async purgeAudit(before: number, limit: number) {
      const { rowCount } = await db.query(PURGE_AUDIT, [before, limit]);
      return rowCount ?? 0;
    },

    async listAudit(limit: number) {
      const { rows } = await db.query<AuditRow>(`SELECT ${COLUMNS} FROM audit_events ORDER BY id DESC LIMIT $1`, [limit]);
      return rows.map(toAuditEvent);
    },

    async queryAudit(q: AuditQuery) {
      const { sql, params } = auditSelect(q);
      const { rows } = await db.query<AuditRow & { id: string }>(sql, params);
      return rows.map(toStoredAuditEvent);
    },
  };
}

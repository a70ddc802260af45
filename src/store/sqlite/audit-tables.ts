/** The audit trail in the embedded database. */
import { createAuditBatches } from '../audit-batches';
import { AUDIT_ORDER, auditWhere, AuditSyntax } from '../audit-query';
import { AuditRow, toAuditEvent, toStoredAuditEvent } from '../rows';
import { AuditEvent, AuditQuery, AuditStore } from '../store';
import { SqliteContext } from './sqlite-context';
import { Statements } from './statements';

const SQLITE_AUDIT: AuditSyntax = { param: () => '?', contains: (column, param) => `instr(${column}, ${param}) > 0` };

const INSERT_AUDIT = 'INSERT INTO audit_events (at, event, outcome, dialect, username, tenant_id, address, detail, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** One event's row, inside the caller's write (exported for the parts that record an event in a write of their own: lockout-tables.ts, refresh-token-tables.ts). */
export function insertAudit(sql: Statements['sql'], e: AuditEvent): void {
  sql(INSERT_AUDIT).run(e.at, e.event, e.outcome, e.dialect, e.username, e.tenantId, e.address, e.detail, e.actor ?? null);
}

/** The statements that read and purge by time, exported so a test can hold them to the time index (EXPLAIN QUERY PLAN). */
export const PURGE_AUDIT = 'DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ? ORDER BY at, id LIMIT ?)';
export function auditSelect(q: AuditQuery): { sql: string; params: unknown[] } {
  const { clause, params } = auditWhere(q, SQLITE_AUDIT);
  return { sql: `SELECT * FROM audit_events ${clause} ${AUDIT_ORDER} LIMIT ?`, params: [...params, q.limit] };
}

export interface AuditTables {
  store: AuditStore;
  /** Resolves once every event recorded so far was written (or refused): close waits for it. */
  drain(): Promise<void>;
}

export function auditTables({ sql, write }: SqliteContext): AuditTables {
  // The audit trail's group commit (audit-batches.ts), as PostgreSQL's: the events recorded close
  // together are one write (one savepoint of this turn's transaction, group-commit.ts) instead of one
  // each, ~2.3 µs of CPU per event less; each caller resolves once its write committed. Through
  // write, like every change, so a write into deleted database files is noticed. A refused group is
  // written again caller by caller: one bad event costs no other its row.
  const batches = createAuditBatches(
    (events) =>
      write([], () => {
        for (const e of events) insertAudit(sql, e);
      }),
    { alone: () => true },
  );
  const store: AuditStore = {
    recordAudit: (e: AuditEvent) => batches.add([e]),

    async recordAudits(events: AuditEvent[]) {
      if (events.length > 0) await batches.add(events);
    },

    async purgeAudit(before: number, limit: number) {
      return write([], () =>
        sql(PURGE_AUDIT).run(before, limit).changes,
      );
    },

    async listAudit(limit: number) {
      return (sql('SELECT * FROM audit_events ORDER BY id DESC LIMIT ?').all(limit) as AuditRow[]).map(toAuditEvent);
    },

    async queryAudit(q: AuditQuery) {
      const select = auditSelect(q);
      const rows = sql(select.sql).all(...select.params) as (AuditRow & { id: number })[];
      return rows.map(toStoredAuditEvent);
    },
  };
  return { store, drain: batches.drain };
}

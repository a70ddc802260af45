/** The audit trail in PostgreSQL. */
import { StoreUnavailable } from '../../errors';
import { createAuditBatches } from '../audit-batches';
import { AUDIT_ORDER, auditWhere, AuditSyntax } from '../audit-query';
import { AuditRow, toAuditEvent, toStoredAuditEvent } from '../rows';
import { AuditEvent, AuditQuery, AuditStore } from '../store';
import { PostgresContext } from './postgres-context';

const POSTGRES_AUDIT: AuditSyntax = { param: (n) => `$${n}`, contains: (column, param) => `strpos(${column}, ${param}) > 0` };

/** An event's columns and values, in order (exported for a part that records an event in its own statement: refresh-token-tables.ts). */
export const AUDIT_COLUMNS = 'at, event, outcome, dialect, username, tenant_id, address, detail, actor';

/**
 * A batch of any size in one statement (so one transaction) of fixed text, prepared once per
 * connection: one array per column, rows kept in the order recorded.
 */
const INSERT = {
  name: 'mgw_audit_insert',
  text: `INSERT INTO audit_events (${AUDIT_COLUMNS})
         SELECT ${AUDIT_COLUMNS} FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[])
           WITH ORDINALITY AS e (${AUDIT_COLUMNS}, n) ORDER BY n`,
};

/** A batch of one (what a quiet gateway writes): plain VALUES, which PostgreSQL plans more cheaply than unnest. */
const INSERT_ONE = {
  name: 'mgw_audit_insert_one',
  text: `INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
};

export const auditValues = (e: AuditEvent) => [e.at, e.event, e.outcome, e.dialect, e.username, e.tenantId, e.address, e.detail, e.actor ?? null];

const columns = (events: AuditEvent[]) => [
  events.map((e) => e.at),
  events.map((e) => e.event),
  events.map((e) => e.outcome),
  events.map((e) => e.dialect),
  events.map((e) => e.username),
  events.map((e) => e.tenantId),
  events.map((e) => e.address),
  events.map((e) => e.detail),
  events.map((e) => e.actor ?? null),
];

/** The statements that read and purge by time, exported so a test can hold them to the time index (EXPLAIN). */
export const PURGE_AUDIT = 'DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 ORDER BY at, id LIMIT $2)';
export function auditSelect(q: AuditQuery): { sql: string; params: unknown[] } {
  const { clause, params } = auditWhere(q, POSTGRES_AUDIT);
  return { sql: `SELECT id, ${AUDIT_COLUMNS} FROM audit_events ${clause} ${AUDIT_ORDER} LIMIT $${params.length + 1}`, params: [...params, q.limit] };
}

export interface AuditTables {
  store: AuditStore;
  /** Resolves once every event recorded so far was written (or refused): close waits for it. */
  drain(): Promise<void>;
}

export function auditTables({ db }: PostgresContext): AuditTables {
  // A batch refused for what it held (not for the database being unavailable) is written again caller by caller.
  const batches = createAuditBatches(
    async (events) => {
      await (events.length === 1 ? db.query(INSERT_ONE, auditValues(events[0])) : db.query(INSERT, columns(events)));
    },
    { alone: (err) => !(err instanceof StoreUnavailable) },
  );
  const store: AuditStore = {
    recordAudit: (e: AuditEvent) => batches.add([e]),

    async recordAudits(events: AuditEvent[]) {
      if (events.length > 0) await batches.add(events);
    },

    async purgeAudit(before: number, limit: number) {
      const { rowCount } = await db.query(PURGE_AUDIT, [before, limit]);
      return rowCount ?? 0;
    },

    async listAudit(limit: number) {
      const { rows } = await db.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_events ORDER BY id DESC LIMIT $1`, [limit]);
      return rows.map(toAuditEvent);
    },

    async queryAudit(q: AuditQuery) {
      const { sql, params } = auditSelect(q);
      const { rows } = await db.query<AuditRow & { id: string }>(sql, params);
      return rows.map(toStoredAuditEvent);
    },
  };
  return { store, drain: batches.drain };
}

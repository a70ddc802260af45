/**
 * The WHERE and ORDER BY of an audit query, shared by the backends: they differ only in how a parameter
 * is written. Newest first by (at, id), the order of the time index (audit_events_by_time), so a page
 * walks the index from its end or from `since` and stops after `limit` matches, however old the trail.
 */
import { AuditQuery } from './store';

/** `param(n)` writes the n-th (1-based) parameter: `?` for SQLite, `$n` for PostgreSQL; `contains` a substring test. */
export interface AuditSyntax {
  param(position: number): string;
  contains(column: string, param: string): string;
}

export const AUDIT_ORDER = 'ORDER BY at DESC, id DESC';

export function auditWhere(q: AuditQuery, syntax: AuditSyntax): { clause: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return syntax.param(params.length);
  };
  // The cursor is an id; the row comparison needs its time too (a purged cursor matches nothing).
  if (q.beforeId !== undefined) parts.push(`(at, id) < ((SELECT at FROM audit_events WHERE id = ${p(q.beforeId)}), ${p(q.beforeId)})`);
  if (q.since !== undefined) parts.push(`at >= ${p(q.since)}`);
  if (q.tenantId !== undefined) parts.push(`tenant_id = ${p(q.tenantId)}`);
  if (q.kind !== undefined) parts.push(`event = ${p(q.kind)}`);
  if (q.outcome !== undefined) parts.push(q.outcome === 'ok' ? `outcome = 'success'` : `outcome <> 'success'`);
  if (q.actor !== undefined) {
    // Passed twice: SQLite's `?` cannot name one parameter twice.
    parts.push(`(${syntax.contains('actor', p(q.actor))} OR username = ${p(q.actor)})`);
  }
  return { clause: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** The WHERE clause of an audit query, shared by the backends: they differ only in how a parameter is written. */
import { AuditQuery } from './store';

/** `param(n)` writes the n-th (1-based) parameter: `?` for SQLite, `$n` for PostgreSQL; `contains` a substring test. */
export interface AuditSyntax {
  param(position: number): string;
  contains(column: string, param: string): string;
}

export function auditWhere(q: AuditQuery, syntax: AuditSyntax): { clause: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return syntax.param(params.length);
  };
  if (q.beforeId !== undefined) parts.push(`id < ${p(q.beforeId)}`);
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

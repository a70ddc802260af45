import { CertificateFilter } from './store';

/** How a backend's SQL writes the two conditions a filter needs, given the parameter's 1-based position. */
export interface FilterSyntax {
  /** `column` equals the parameter. */
  equals(column: string, position: number): string;
  /** `column` is any of the list passed as the parameter. */
  anyOf(column: string, position: number): string;
  /** The parameter value that passes a list. */
  list(values: string[]): unknown;
}

/** The WHERE clause (empty when the filter is) and its parameters, for a table aliased `alias` with tenant_id and gateway_id columns. */
export function filterClause(alias: string, filter: CertificateFilter, syntax: FilterSyntax): { clause: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (condition: (column: string, position: number) => string, column: string, value: unknown) => {
    params.push(value);
    parts.push(condition(`${alias}.${column}`, params.length));
  };
  if (filter.tenantId !== undefined) add(syntax.equals, 'tenant_id', filter.tenantId);
  if (filter.gatewayId !== undefined) add(syntax.equals, 'gateway_id', filter.gatewayId);
  if (filter.tenantIds !== undefined) add(syntax.anyOf, 'tenant_id', syntax.list(filter.tenantIds));
  if (filter.gatewayIds !== undefined) add(syntax.anyOf, 'gateway_id', syntax.list(filter.gatewayIds));
  return { clause: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

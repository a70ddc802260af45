import { InvalidArgument } from '../errors';

const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Tenant and gateway IDs: 1–64 characters of [A-Za-z0-9._-]. Throws InvalidArgument naming the field. */
export function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgument(`${field} is empty`);
  }
  if (value.length > 64) throw new InvalidArgument(`${field} is longer than 64 characters`);
  if (!ID_PATTERN.test(value)) {
    throw new InvalidArgument(`${field} may only hold letters, digits, '.', '_' and '-'`);
  }
  return value;
}

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

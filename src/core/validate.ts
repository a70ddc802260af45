/** Checks for untrusted request fields shared by the gRPC services; each failure names the field. */
import { InvalidArgument } from '../errors';
import { checkId } from '../pki/ids';
import { DEFAULT_LEAF_YEARS, EMPTY_NAME, MAX_YEARS, PkiName } from '../pki/profile';

export const MAX_LIST = 1000;
const INT64_MAX = (1n << 63n) - 1n;

export function checkIdList(values: unknown, field: string, { allowEmpty = false } = {}): string[] {
  if (!Array.isArray(values)) throw new InvalidArgument(`${field} must be a list`);
  if (!allowEmpty && values.length === 0) throw new InvalidArgument(`${field} is empty`);
  if (values.length > MAX_LIST) throw new InvalidArgument(`${field} holds more than ${MAX_LIST} entries`);
  const ids = values.map((v, i) => checkId(v, `${field}[${i}]`));
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new InvalidArgument(`${field} lists ${duplicate} twice`);
  return ids;
}

export function checkSerials(values: unknown, field: string): bigint[] {
  if (!Array.isArray(values) || values.length === 0) throw new InvalidArgument(`${field} is empty`);
  if (values.length > MAX_LIST) throw new InvalidArgument(`${field} holds more than ${MAX_LIST} entries`);
  return values.map((v, i) => {
    const serial = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : -1n;
    if (serial <= 0n || serial > INT64_MAX) throw new InvalidArgument(`${field}[${i}] must be a positive serial number`);
    return serial;
  });
}

/** expireAfterYears: 1–20, 0 meaning the default of 5. */
export function checkYears(value: unknown): number {
  if (value === 0 || value === undefined) return DEFAULT_LEAF_YEARS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_YEARS) {
    throw new InvalidArgument(`expireAfterYears must be from 1 to ${MAX_YEARS} (or 0 for the default of ${DEFAULT_LEAF_YEARS})`);
  }
  return value;
}

const FIELD_LIMITS: [keyof PkiName, number][] = [
  ['country', 2],
  ['province', 128],
  ['city', 128],
  ['organization', 64],
  ['organizationUnit', 64],
  ['commonName', 64],
];

export function checkSubject(value: Partial<PkiName> | undefined): PkiName {
  const subject = { ...EMPTY_NAME, ...(value ?? {}) };
  for (const [key, max] of FIELD_LIMITS) {
    const v = subject[key];
    if (typeof v !== 'string') throw new InvalidArgument(`subject.${key} must be a string`);
    if (v.length > max) throw new InvalidArgument(`subject.${key} is longer than ${max} characters`);
    if (/[\u0000-\u001f]/.test(v)) throw new InvalidArgument(`subject.${key} holds control characters`);
  }
  if (subject.country && !/^[A-Za-z]{2}$/.test(subject.country)) {
    throw new InvalidArgument('subject.country must be a 2-letter ISO 3166 code');
  }
  return subject;
}

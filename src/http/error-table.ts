/**
 * What every dialect's errors.ts is built on: one table from core error code to the dialect's wire
 * answer, looked up by the thrown error's code (no instanceof chains). A code the table lacks (the
 * store away, a crash) goes on to the door's error handler, which answers 503 or 500 through the
 * dialect's fallback, keyed by the kind of status the router decided.
 */
import { ErrorCode, toPublic } from '../errors';

export type ErrorTable<Row> = Partial<Readonly<Record<ErrorCode, Row>>>;

export interface Refusal<Row> {
  row: Row;
  /** The error's own message, for the rows that show it (it was written for the client). */
  message: string;
  /** Set by the refusals that say when to come back (lockout, rate limits). */
  retryAfterSeconds?: number;
}

/** The table's row for a thrown value, or the value thrown on. */
export function refusalOf<Row>(table: ErrorTable<Row>, err: unknown): Refusal<Row> {
  const { code, message } = toPublic(err);
  const row = Object.hasOwn(table, code) ? table[code] : undefined;
  if (row === undefined) throw err;
  const wait = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return { row, message, retryAfterSeconds: typeof wait === 'number' ? wait : undefined };
}

/** The statuses a router decides, by kind: each dialect's fallback table has one row per kind. */
export type FallbackKind = 'notFound' | 'tooLarge' | 'badRequest' | 'internal' | 'unavailable';

export function fallbackKind(status: number): FallbackKind {
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'internal';
  if (status === 404) return 'notFound';
  if (status === 413) return 'tooLarge';
  return 'badRequest';
}

/** The plain wording of the router's statuses, for the dialects whose fallback keeps the status and says it in words (datarhei, EDR). */
export const FALLBACK_MESSAGES: Readonly<Record<FallbackKind, string>> = {
  notFound: 'Not found',
  tooLarge: 'Request body is too large',
  badRequest: 'Bad request',
  internal: 'Internal error',
  unavailable: 'Service unavailable, retry later',
};

/** datarhei's error answers: one table from core error code, one per router status, and the 429. */
import { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { ErrorTable, FALLBACK_MESSAGES, fallbackKind, refusalOf } from '../../error-table';
import { retryAfter } from '../../request';

/** datarhei's error body: `{code, message: <HTTP status text>, details: [strings]}`; details is always an array. */
export function datarheiError(reply: FastifyReply, code: number, ...details: string[]): FastifyReply {
  return reply.code(code).send({ code, message: STATUS_CODES[code] ?? 'Error', details });
}

export const BAD_CREDENTIALS = 'Invalid authorization credentials: invalid username or password';
export const MISSING_CREDENTIALS = 'Missing authorization credentials';
export const INVALID_JWT = 'Missing or invalid JWT token';
export const TOO_MANY_ATTEMPTS = 'Too many failed login attempts, retry later';

/** Core error code → status and detail; no detail: the error's own message (external login reasons, written for the client). */
const ERRORS: ErrorTable<{ status: number; detail?: string }> = {
  ERR_INVALID_ARGUMENT: { status: 400, detail: MISSING_CREDENTIALS },
  ERR_INVALID_CREDENTIALS: { status: 401, detail: BAD_CREDENTIALS },
  ERR_PASSWORD_CHANGE_REQUIRED: { status: 401, detail: 'Password change required: set a new password first' },
  ERR_TOKEN_INVALID: { status: 401, detail: INVALID_JWT },
  ERR_UNAUTHENTICATED: { status: 401 },
  ERR_TOO_MANY_ATTEMPTS: { status: 429, detail: TOO_MANY_ATTEMPTS },
};

/** A thrown error in datarhei's shape; one the table lacks is thrown on (to the 500/503 fallback). */
export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { row, message, retryAfterSeconds } = refusalOf(ERRORS, err);
  if (retryAfterSeconds !== undefined) retryAfter(reply, retryAfterSeconds);
  return datarheiError(reply, row.status, row.detail ?? message);
}

export const fallback = (reply: FastifyReply, status: number) => datarheiError(reply, status, FALLBACK_MESSAGES[fallbackKind(status)]);

export const tooMany = (reply: FastifyReply, seconds: number) => datarheiError(retryAfter(reply, seconds), 429, TOO_MANY_ATTEMPTS);

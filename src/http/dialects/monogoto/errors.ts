/** Monogoto's error answers, plain text: one table from core error code, one per router status, and the 429. */
import { FastifyReply } from 'fastify';
import { ErrorTable, FallbackKind, fallbackKind, refusalOf } from '../../error-table';
import { retryAfter } from '../../request';

const text = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/plain; charset=utf-8').send(body);

/** Monogoto answers every failed login with 404 and this body, whatever went wrong. */
const ACCESS_DENIED = 'Access denied';
const TOO_MANY = 'Too Many Requests';

/** Core error code → status and body: a login fails as 404, a refresh token as 401. */
const ERRORS: ErrorTable<{ status: number; body: string }> = {
  ERR_INVALID_ARGUMENT: { status: 404, body: ACCESS_DENIED },
  ERR_INVALID_CREDENTIALS: { status: 404, body: ACCESS_DENIED },
  ERR_PASSWORD_CHANGE_REQUIRED: { status: 404, body: ACCESS_DENIED },
  ERR_TOKEN_INVALID: { status: 401, body: ACCESS_DENIED },
  ERR_TOO_MANY_ATTEMPTS: { status: 429, body: TOO_MANY },
};

/**
 * Unknown routes, oversized and unreadable requests under /Auth are denied like a bad login; a crash
 * stays a 500, a database that cannot answer a 503 (retry), never an "Access denied" that blames the user.
 */
const FALLBACK: Record<FallbackKind, { status: number; body: string }> = {
  notFound: { status: 404, body: ACCESS_DENIED },
  tooLarge: { status: 404, body: ACCESS_DENIED },
  badRequest: { status: 404, body: ACCESS_DENIED },
  internal: { status: 500, body: 'Internal Server Error' },
  unavailable: { status: 503, body: 'Service Unavailable' },
};

/** A request this dialect refuses before asking the core (bad body): denied like a bad login. */
export const accessDenied = (reply: FastifyReply) => text(reply, 404, ACCESS_DENIED);

/** A thrown error in Monogoto's shape; one the table lacks is thrown on (to the 500/503 fallback). */
export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { row, retryAfterSeconds } = refusalOf(ERRORS, err);
  if (retryAfterSeconds !== undefined) retryAfter(reply, retryAfterSeconds);
  return text(reply, row.status, row.body);
}

export function fallback(reply: FastifyReply, status: number): FastifyReply {
  const row = FALLBACK[fallbackKind(status)];
  return text(reply, row.status, row.body);
}

export const tooMany = (reply: FastifyReply, seconds: number) => text(retryAfter(reply, seconds), 429, TOO_MANY);

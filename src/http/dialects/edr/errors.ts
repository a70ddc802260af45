/**
 * The EDR mobile envelope's failures: `{response: {code, timestamp, message}, data: null}`, the
 * HTTP status in `response.code`. One table from core error code, one per router status, and the 429.
 */
import { FastifyReply } from 'fastify';
import { Clock } from '../../../core/clock';
import { ErrorTable, FALLBACK_MESSAGES, fallbackKind, refusalOf } from '../../error-table';
import { retryAfter } from '../../request';
import { timestamp } from './answers';

export function edrFailure(reply: FastifyReply, clock: Clock, code: number, message: string): FastifyReply {
  return reply.code(code).send({ response: { code, timestamp: timestamp(clock), message }, data: null });
}

export const TOO_MANY_ATTEMPTS = 'Too many failed login attempts, retry later';
export const NOT_JSON = 'Content-Type must be application/json';
export const NOT_AN_OBJECT = 'Body must be a JSON object';
export const NEED_CREDENTIALS = 'username and password are required strings';
export const NEED_LOGIN_FIELDS = 'username, password and jwt are required strings';
export const NEED_REFRESH_TOKEN = 'refreshToken is required';

/** Core error code → status and message. A bad mobile JWT is refused as a bad login (the core makes it InvalidCredentials). */
const ERRORS: ErrorTable<{ status: number; message: string }> = {
  ERR_INVALID_ARGUMENT: { status: 400, message: NEED_CREDENTIALS },
  ERR_INVALID_CREDENTIALS: { status: 401, message: 'Invalid login' },
  ERR_TOKEN_INVALID: { status: 401, message: 'Invalid refresh token' },
  ERR_PASSWORD_CHANGE_REQUIRED: { status: 403, message: 'Password change required: set a new password first' },
  ERR_TOO_MANY_ATTEMPTS: { status: 429, message: TOO_MANY_ATTEMPTS },
};

/** A thrown error in the EDR envelope; one the table lacks is thrown on (to the 500/503 fallback). */
export function sendError(reply: FastifyReply, clock: Clock, err: unknown): FastifyReply {
  const { row, retryAfterSeconds } = refusalOf(ERRORS, err);
  if (retryAfterSeconds !== undefined) retryAfter(reply, retryAfterSeconds);
  return edrFailure(reply, clock, row.status, row.message);
}

export const fallback = (reply: FastifyReply, status: number, { clock }: { clock: Clock }) => edrFailure(reply, clock, status, FALLBACK_MESSAGES[fallbackKind(status)]);

export const tooMany = (reply: FastifyReply, seconds: number, { clock }: { clock: Clock }) => edrFailure(retryAfter(reply, seconds), clock, 429, TOO_MANY_ATTEMPTS);

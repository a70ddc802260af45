import { FastifyReply } from 'fastify';
import { Clock } from '../../../core/clock';

/**
 * The EDR mobile envelope: `{response: {code, timestamp, …}, data}`. Failures carry the HTTP status
 * in `response.code`, a message, and `data: null`.
 */
export type EdrEnvelope = (reply: FastifyReply, data: unknown, extra?: Record<string, unknown>) => FastifyReply;
export type EdrFailure = (reply: FastifyReply, code: number, message: string) => FastifyReply;

const timestamp = (clock: Clock) => new Date(clock()).toISOString();

export function edrReplies(clock: Clock): { ok: EdrEnvelope; fail: EdrFailure } {
  return {
    ok: (reply, data, extra = {}) => reply.code(200).send({ response: { code: 200, timestamp: timestamp(clock), ...extra }, data }),
    fail: (reply, code, message) => reply.code(code).send({ response: { code, timestamp: timestamp(clock), message }, data: null }),
  };
}

export const INVALID_LOGIN = 'Invalid login';
export const INVALID_REFRESH = 'Invalid refresh token';
export const TOO_MANY_ATTEMPTS = 'Too many failed login attempts, retry later';
export const PASSWORD_CHANGE_REQUIRED = 'Password change required: set a new password first';
export const NOT_JSON = 'Content-Type must be application/json';
export const NOT_AN_OBJECT = 'Body must be a JSON object';
export const NEED_CREDENTIALS = 'username and password are required strings';
export const NEED_LOGIN_FIELDS = 'username, password and jwt are required strings';
export const NEED_REFRESH_TOKEN = 'refreshToken is required';

/** The message of a status the router decided (unknown route, body too large, unreadable request, crash). */
export function fallbackMessage(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 413) return 'Request body is too large';
  if (status === 503) return 'Service unavailable, retry later';
  if (status >= 500) return 'Internal error';
  return 'Bad request';
}

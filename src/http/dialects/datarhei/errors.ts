import { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';

/** datarhei's error body: `{code, message: <HTTP status text>, details: [strings]}`; details is always an array. */
export function datarheiError(reply: FastifyReply, code: number, ...details: string[]): FastifyReply {
  return reply.code(code).send({ code, message: STATUS_CODES[code] ?? 'Error', details });
}

export const BAD_CREDENTIALS = 'Invalid authorization credentials: invalid username or password';
export const MISSING_CREDENTIALS = 'Missing authorization credentials';
export const INVALID_JWT = 'Missing or invalid JWT token';
export const TOO_MANY_ATTEMPTS = 'Too many failed login attempts, retry later';

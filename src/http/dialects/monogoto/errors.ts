import { FastifyReply } from 'fastify';

/** Monogoto answers every failed login with 404 and this plain-text body, whatever went wrong. */
export const ACCESS_DENIED = 'Access denied';

export function accessDenied(reply: FastifyReply, status = 404): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(ACCESS_DENIED);
}

export function tooManyRequests(reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
  return reply
    .code(429)
    .header('retry-after', String(Math.max(1, retryAfterSeconds)))
    .type('text/plain; charset=utf-8')
    .send('Too Many Requests');
}

/**
 * Unknown routes, oversized and unreadable requests under /Auth are denied like a bad login; a crash
 * stays a 500, a database that cannot answer a 503 (retry), never an "Access denied" that blames the user.
 */
export function monogotoFallback(reply: FastifyReply, status: number): FastifyReply {
  if (status === 503) return reply.code(503).type('text/plain; charset=utf-8').send('Service Unavailable');
  if (status >= 500) return reply.code(500).type('text/plain; charset=utf-8').send('Internal Server Error');
  return accessDenied(reply);
}

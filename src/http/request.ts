/** Reading untrusted HTTP requests the same way everywhere (JSON bodies: json-body.ts and the route schemas). */
import { FastifyReply, FastifyRequest } from 'fastify';

/** A urlencoded form (RFC 7662 / 7009 requests). */
export function formBody(req: FastifyRequest): URLSearchParams | undefined {
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) return undefined;
  return new URLSearchParams(typeof req.body === 'string' ? req.body : '');
}

/** The token of an `Authorization: Bearer …` header (scheme matched case-insensitively). */
export function bearerToken(req: FastifyRequest): string | undefined {
  const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** The client address: the socket's, or X-Forwarded-For's when the socket is a trusted proxy (fastify's trustProxy). */
export const clientAddress = (req: FastifyRequest) => req.ip;

export function retryAfter(reply: FastifyReply, seconds: number): FastifyReply {
  return reply.header('retry-after', String(Math.max(1, seconds)));
}

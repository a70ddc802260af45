/** Reading untrusted HTTP requests the same way everywhere (bodies: bodies.ts and the route schemas). */
import { FastifyReply, FastifyRequest } from 'fastify';

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

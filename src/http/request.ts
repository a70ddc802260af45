/** Reading untrusted HTTP requests the same way for every dialect. Bodies arrive as raw strings. */
import { FastifyReply, FastifyRequest } from 'fastify';

export type JsonBody = { ok: true; value: Record<string, unknown> } | { ok: false; reason: 'content-type' | 'empty' | 'malformed' | 'not-object' };

/** The body as a JSON object, if the request says it is JSON and it is one. */
export function jsonBody(req: FastifyRequest): JsonBody {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) return { ok: false, reason: 'content-type' };
  const raw = typeof req.body === 'string' ? req.body : '';
  if (raw.trim() === '') return { ok: false, reason: 'empty' };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'not-object' };
  return { ok: true, value: value as Record<string, unknown> };
}

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

export const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** The client address: the socket's, or X-Forwarded-For's when the socket is a trusted proxy (fastify's trustProxy). */
export const clientAddress = (req: FastifyRequest) => req.ip;

export function retryAfter(reply: FastifyReply, seconds: number): FastifyReply {
  return reply.header('retry-after', String(Math.max(1, seconds)));
}

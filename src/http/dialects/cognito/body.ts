import { FastifyRequest } from 'fastify';
import { missingParameter, UNREADABLE_BODY, WRONG_CONTENT_TYPE } from './errors';

/** Cognito clients send the AWS JSON protocol type as well as plain JSON; the shared jsonBody accepts only the latter. */
const JSON_TYPES = /^application\/(json|x-amz-json-1\.[01])\s*(;|$)/i;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** The body as a JSON object whose listed fields are non-empty strings; else the InvalidParameterException message. */
export function cognitoBody<K extends string>(req: FastifyRequest, fields: readonly K[]): Parsed<Record<K, string> & Record<string, unknown>> {
  if (!JSON_TYPES.test(req.headers['content-type'] ?? '')) return { ok: false, message: WRONG_CONTENT_TYPE };
  let value: unknown;
  try {
    value = JSON.parse(typeof req.body === 'string' ? req.body : '');
  } catch {
    return { ok: false, message: UNREADABLE_BODY };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: UNREADABLE_BODY };
  const record = value as Record<string, unknown>;
  const missing = fields.find((f) => typeof record[f] !== 'string' || record[f] === '');
  if (missing) return { ok: false, message: missingParameter(missing) };
  return { ok: true, value: record as Record<K, string> & Record<string, unknown> };
}

/**
 * Small builders for the route JSON Schemas of the dialects and token endpoints (schemas.ts files).
 * Route schemas also carry @fastify/swagger's keys (tags, summary, operationId, security, consumes).
 */
/// <reference types="@fastify/swagger" />

export type JsonSchema = Record<string, unknown>;

export const text = (description?: string, extra: JsonSchema = {}): JsonSchema => ({ type: 'string', ...(description ? { description } : {}), ...extra });

/** A string that must not be empty (what the hand validation called a non-empty string). */
export const nonEmpty = (description?: string, extra: JsonSchema = {}): JsonSchema => text(description, { minLength: 1, ...extra });

/** An object whose properties are all required unless listed in `optional`. */
export const object = (properties: Record<string, JsonSchema>, optional: string[] = [], extra: JsonSchema = {}): JsonSchema => ({
  type: 'object',
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  properties,
  ...extra,
});

/**
 * A documented answer (a route's `response[status]`): its description, headers, and body schema per
 * content type. The bridge serializes with JSON.stringify whatever the schema (http-server.ts), so
 * these document the answers without reshaping them; a test holds real answers to them.
 */
export function answer(description: string, body?: JsonSchema, o: { types?: string[]; headers?: Record<string, JsonSchema> } = {}): JsonSchema {
  const types = o.types ?? ['application/json'];
  return {
    description,
    ...(o.headers ? { headers: o.headers } : {}),
    // type 'null': no body (@fastify/swagger then lists no content).
    ...(body ? { content: Object.fromEntries(types.map((t) => [t, { schema: body }])) } : { type: 'null' }),
  };
}

export const RETRY_AFTER: Record<string, JsonSchema> = {
  'Retry-After': { type: 'integer', minimum: 1, description: 'Seconds until the lockout ends; answered at once, never by a sleep.' },
};

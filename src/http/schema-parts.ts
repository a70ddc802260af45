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

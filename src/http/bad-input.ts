/**
 * Turns fastify's body validation failure (ajv errors against the route's JSON Schema) into what a
 * dialect needs to word its bad-input answer, the way the hand validation it replaced decided:
 * a body that is not a JSON object is either the wrong content type or unreadable; otherwise the
 * first field, in the order the schema lists its properties (depth first), that the schema refuses.
 */
import { FastifySchemaValidationError } from 'fastify';

export type BadInput =
  /** Not one of the dialect's JSON content types (or none at all). */
  | { problem: 'content-type' }
  /** Empty, malformed, or JSON that is not an object. */
  | { problem: 'unreadable' }
  /** `field` is a dotted path (`ChallengeResponses.USERNAME`); `value`: right type, but not an allowed value (const/enum). */
  | { problem: 'field'; field: string; value: boolean };

interface ObjectSchema {
  properties?: Record<string, ObjectSchema>;
}

/** Every property path of a schema, parents before their children, in the order listed. */
function listedFields(schema: ObjectSchema | undefined, prefix = ''): string[] {
  return Object.entries(schema?.properties ?? {}).flatMap(([name, sub]) => [`${prefix}${name}`, ...listedFields(sub, `${prefix}${name}.`)]);
}

function fieldOf(e: FastifySchemaValidationError): string {
  const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required') path.push(String(e.params.missingProperty));
  return path.join('.');
}

const VALUE_KEYWORDS = new Set(['const', 'enum']);

export function badInputOf(errors: FastifySchemaValidationError[], schema: unknown, contentTypeAccepted: boolean): BadInput {
  if (errors.some((e) => e.instancePath === '' && e.keyword === 'type')) return { problem: contentTypeAccepted ? 'unreadable' : 'content-type' };
  const order = listedFields(schema as ObjectSchema);
  const rank = (field: string) => (order.includes(field) ? order.indexOf(field) : order.length);
  const field = errors.map(fieldOf).reduce((first, f) => (rank(f) < rank(first) ? f : first));
  const value = errors.filter((e) => fieldOf(e) === field).every((e) => VALUE_KEYWORDS.has(e.keyword));
  return { problem: 'field', field, value };
}

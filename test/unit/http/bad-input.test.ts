/** badInputOf: how a body a route schema refuses is worded, as the hand validation it replaced decided. */
import Ajv from 'ajv';
import { badInputOf } from '../../../src/http/bad-input';
import { nonEmpty, object } from '../../../src/http/schema-parts';

// The bridge's ajv settings (http-server.ts): every error, no coercion.
const ajv = new Ajv({ allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false });
const schema = object({
  A: nonEmpty(),
  B: nonEmpty(undefined, { const: 'b' }),
  C: object({ D: nonEmpty(), E: nonEmpty() }),
});
const validate = ajv.compile(schema);
const input = (body: unknown, typeAccepted = true) => {
  expect(validate(body)).toBe(false);
  return badInputOf(validate.errors!, schema, typeAccepted);
};

it.each([
  ['missing first', { B: 'b', C: { D: 'd', E: 'e' } }, 'A'],
  ['a later field missing, an earlier one of the wrong type', { A: 5, C: { D: 'd', E: 'e' } }, 'A'],
  ['an empty string', { A: '', B: 'b', C: { D: 'd', E: 'e' } }, 'A'],
  ['a parent before its children', { A: 'a', B: 'b', C: [] }, 'C'],
  ['a nested field, by its dotted path', { A: 'a', B: 'b', C: { D: 'd', E: 7 } }, 'C.E'],
])('names the first listed field that fails: %s', (_n, body, field) => {
  expect(input(body)).toEqual({ problem: 'field', field, value: false });
});

it('tells a value the schema does not allow from a missing or mistyped one', () => {
  expect(input({ A: 'a', B: 'x', C: { D: 'd', E: 'e' } })).toEqual({ problem: 'field', field: 'B', value: true });
  expect(input({ A: 'a', B: 5, C: { D: 'd', E: 'e' } })).toEqual({ problem: 'field', field: 'B', value: false });
});

it('a body that is not an object: the wrong content type, or unreadable', () => {
  expect(input('{"A":', false)).toEqual({ problem: 'content-type' });
  expect(input('{"A":', true)).toEqual({ problem: 'unreadable' });
  expect(input(null, true)).toEqual({ problem: 'unreadable' });
});

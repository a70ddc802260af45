/**
 * How the bridge reads request bodies (64 KiB at most, any content type). A body in the scope's own
 * format arrives parsed into an object; anything else (another content type, empty, malformed, JSON
 * that is not an object) stays the raw text, which every route's body schema (`type: object`)
 * refuses: the scope's bad-input answer then tells a wrong content type from an unreadable body
 * (badInputOf). Unknown routes read bodies the same way and still answer 404, whatever was sent.
 */
import { FastifyInstance, FastifyRequest } from 'fastify';

function useBodies(app: FastifyInstance, parse: (req: FastifyRequest, raw: string) => unknown): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, raw, done) => done(null, parse(req, raw as string)));
}

/** A dialect speaking JSON: bodies of its JSON content types that are JSON objects. */
export function useJsonBodies(app: FastifyInstance, types: RegExp): void {
  useBodies(app, (req, raw) => {
    if (!types.test(req.headers['content-type'] ?? '')) return raw;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return raw;
    }
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : raw;
  });
}

/** The token endpoints: urlencoded forms (RFC 7662 / 7009), the first value of each field, as URLSearchParams.get reads it. */
export function useFormBodies(app: FastifyInstance): void {
  useBodies(app, (req, raw) => {
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) return raw;
    // No prototype: a field named __proto__ is just a field.
    const form: Record<string, string> = Object.create(null);
    for (const [name, value] of new URLSearchParams(raw)) if (!(name in form)) form[name] = value;
    return form;
  });
}

/** No body at all, or only whitespace (datarhei's external-IdP login sends none). */
export const emptyBody = (body: unknown) => body === undefined || (typeof body === 'string' && body.trim() === '');

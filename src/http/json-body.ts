/**
 * Bodies of a dialect that speaks JSON. A body of one of its JSON content types that parses to a JSON
 * object arrives as that object; anything else (another content type, empty, malformed, an array,
 * null) stays the raw text, which every route's body schema (`type: object`) refuses: the dialect's
 * bad-input answer then tells a wrong content type from an unreadable body (badInputOf). Unknown
 * routes under the prefix read bodies the same way and still answer 404, whatever was sent.
 */
import { FastifyInstance } from 'fastify';

export function useJsonBodies(app: FastifyInstance, types: RegExp): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, raw, done) => {
    if (!types.test(req.headers['content-type'] ?? '')) return done(null, raw);
    let value: unknown;
    try {
      value = JSON.parse(raw as string);
    } catch {
      return done(null, raw);
    }
    done(null, value !== null && typeof value === 'object' && !Array.isArray(value) ? value : raw);
  });
}

/** No body at all, or only whitespace (datarhei's external-IdP login sends none). */
export const emptyBody = (body: unknown) => body === undefined || (typeof body === 'string' && body.trim() === '');

/**
 * The HTTP bridge's access log and request id. Every request gets an id: the client's (or its proxy's)
 * `X-Request-Id` when it is 1-128 characters of [A-Za-z0-9._:-], else a fresh random UUID (unique
 * across instances and restarts, so lines from several gateways never share one; ~0.1 µs, nothing
 * next to a request). Every answer carries it back as `X-Request-Id` (onSend sees route, not-found,
 * error and failure-limit answers alike) and one info line per request names it.
 *
 * The line holds no secret by construction: no header but the id, no body, and the path without its
 * query string (the route's pattern, or for an unknown route the raw path cut to 128 characters).
 */
import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { FastifyInstance } from 'fastify';
import { Logger } from 'pino';
import { clientAddress } from './request';

export const REQUEST_ID_HEADER = 'x-request-id';
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_PATH = 128;
/** The dialect whose plugin made a fastify scope (set by onRegister, inherited by the scope's children). */
const DIALECT = Symbol('dialect');

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && VALID_ID.test(given) ? given : randomUUID();
}

/** Call on the root before any plugin is registered: hooks and the id generator reach only scopes made later. */
export function registerAccessLog(app: FastifyInstance, log: Logger): void {
  // The line's fields are none of the redacted names (logger.ts), so pino's censoring by name could
  // change nothing and is left out.
  const access = log.child({}, { redact: [] });
  app.setGenReqId(requestIdOf);
  // A dialect's plugin is registered with its name in its options (http-server.ts).
  app.addHook('onRegister', (instance, opts) => {
    const name = (opts as { dialect?: unknown }).dialect;
    if (typeof name === 'string') (instance as unknown as Record<symbol, string>)[DIALECT] = name;
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header(REQUEST_ID_HEADER, req.id);
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    if (access.isLevelEnabled('info')) {
      const route = req.is404 ? pathOf(req.url) : req.routeOptions.url;
      const dialect = (req.server as unknown as Record<symbol, string | undefined>)[DIALECT] ?? 'bridge';
      access.info(
        { requestId: req.id, method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, dialect, client: clientAddress(req) },
        'http request',
      );
    }
    done();
  });
}

/** The path without its query string (which may carry tokens), at most MAX_PATH characters. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path;
}

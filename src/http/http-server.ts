/**
 * The HTTP door: one fastify server for the REST login dialects, the JWKS, token introspection and
 * revocation, and the OpenAPI document. Bodies are read as raw strings (64 KiB at most) so each
 * dialect answers bad input in its own shape; unknown routes and oversized bodies likewise.
 */
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { createAddressLimiter } from '../core/identity/address-limiter';
import { StoreUnavailable } from '../errors';
import { Dialect, DialectContext } from './dialect';
import { retryAfter } from './request';
import { DIALECTS } from './dialects';
import { registerFailureLimit } from './failure-limit';
import { registerTokenEndpoints } from './token-endpoints';

export const BODY_LIMIT = 64 * 1024;

export interface HttpServer {
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

function dialectFor(url: string): Dialect | undefined {
  const path = url.split('?')[0];
  return DIALECTS.find((d) => d.prefixes.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`)));
}

function answer(req: FastifyRequest, reply: FastifyReply, status: number): FastifyReply {
  const dialect = dialectFor(req.url);
  if (dialect) return dialect.fallback(reply, status);
  const error = status === 404 ? 'not_found' : status === 413 ? 'body_too_large' : status === 503 ? 'temporarily_unavailable' : status >= 500 ? 'server_error' : 'invalid_request';
  return reply.code(status).send({ error });
}

function tooMany(req: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
  const dialect = dialectFor(req.url);
  if (dialect) return dialect.tooMany(reply, retryAfterSeconds);
  return retryAfter(reply, retryAfterSeconds).code(429).send({ error: 'too_many_requests' });
}

export async function startHttpServer(ctx: DialectContext, host: string, port: number, log: Logger): Promise<HttpServer> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    trustProxy: ctx.config.trustedProxies.length > 0 ? [...ctx.config.trustedProxies] : false,
    logger: false,
    return503OnClosing: true,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  registerFailureLimit(app, createAddressLimiter(ctx.core.clock, log, ctx.config.httpFailuresPerMinute), tooMany);
  app.setNotFoundHandler((req, reply) => answer(req, reply, 404));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof StoreUnavailable) {
      // The database is away: say so at once; clients retry, nothing was half-written.
      log.warn({ url: req.url.split('?')[0], reason: err.message }, 'store unavailable');
      return answer(req, retryAfter(reply, 1), 503);
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error({ err, url: req.url.split('?')[0] }, 'HTTP request failed');
    return answer(req, reply, status);
  });

  registerTokenEndpoints(app, ctx);
  for (const dialect of DIALECTS) await dialect.register(app, ctx);

  await app.listen({ host, port });
  const address = app.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    app,
    close: () => app.close(),
  };
}

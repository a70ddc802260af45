/**
 * The HTTP door: one fastify server for the REST login dialects, the JWKS, token introspection and
 * revocation, and the OpenAPI document. Bodies are read as raw strings (64 KiB at most) so each
 * dialect answers bad input in its own shape; unknown routes and oversized bodies likewise.
 * HTTPS unless the operator turned TLS off (a TLS-terminating proxy in front).
 */
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { createAddressLimiter } from '../core/identity/address-limiter';
import { ENV_NAMES } from '../config';
import { asListenFailure } from '../listen-failure';
import { createDialectContext, Dialect, DialectContext, HttpDoorDeps } from './dialect';
import { HttpTls } from './http-tls';
import { createNodeServer } from './node-server';
import { retryAfter } from './request';
import { DIALECTS } from './dialects';
import { registerFailureLimit } from './failure-limit';
import { registerTokenEndpoints } from './token-endpoints';

export const BODY_LIMIT = 64 * 1024;
/** One year, the usual HSTS value; no includeSubDomains: the gateway does not know who else lives under its domain. */
export const HSTS = 'max-age=31536000';

export interface HttpServer {
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

function dialectFor(url: string): Dialect | undefined {
  const path = url.split('?')[0];
  return DIALECTS.find((d) => d.prefixes.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`)));
}

function answer(ctx: DialectContext, req: FastifyRequest, reply: FastifyReply, status: number): FastifyReply {
  const dialect = dialectFor(req.url);
  if (dialect) return dialect.fallback(reply, status, ctx);
  const error = status === 404 ? 'not_found' : status === 413 ? 'body_too_large' : status === 503 ? 'temporarily_unavailable' : status >= 500 ? 'server_error' : 'invalid_request';
  return reply.code(status).send({ error });
}

function tooMany(ctx: DialectContext, req: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
  const dialect = dialectFor(req.url);
  if (dialect) return dialect.tooMany(reply, retryAfterSeconds, ctx);
  return retryAfter(reply, retryAfterSeconds).code(429).send({ error: 'too_many_requests' });
}

/** `tls` undefined = plaintext, which only GATEWAY_HTTP_TLS=off asks for (see loadHttpTls). */
export async function startHttpServer(deps: HttpDoorDeps, host: string, port: number, log: Logger, tls: HttpTls | undefined): Promise<HttpServer> {
  const { config } = deps;
  const ctx = await createDialectContext(deps);
  const limits = { handshakeTimeoutMs: config.httpHandshakeTimeoutMs, maxConnections: config.httpMaxConnections, keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs };
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    logger: false,
    return503OnClosing: true,
    serverFactory: (handler) => createNodeServer(handler, tls, limits, log),
  });
  if (tls) {
    // onSend sees every answer: routes, not-found and error handlers alike.
    app.addHook('onSend', async (_req, reply, payload) => {
      reply.header('strict-transport-security', HSTS);
      return payload;
    });
  }
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  registerFailureLimit(app, createAddressLimiter(ctx.clock, log, config.httpFailuresPerMinute), (req, reply, seconds) => tooMany(ctx, req, reply, seconds));
  app.setNotFoundHandler((req, reply) => answer(ctx, req, reply, 404));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if ((err.code as string) === 'ERR_STORE_UNAVAILABLE') {
      // The database is away: say so at once; clients retry, nothing was half-written.
      log.warn({ url: req.url.split('?')[0], reason: err.message }, 'store unavailable');
      return answer(ctx, req, retryAfter(reply, 1), 503);
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error({ err, url: req.url.split('?')[0] }, 'HTTP request failed');
    return answer(ctx, req, reply, status);
  });

  registerTokenEndpoints(app, ctx);
  for (const dialect of DIALECTS) await dialect.register(app, ctx);

  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close();
    throw asListenFailure(tls ? 'HTTPS' : 'HTTP', host, port, ENV_NAMES.httpPort, err);
  }
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  if (!tls) {
    log.warn({ [ENV_NAMES.httpTls]: 'off', host, port: boundPort }, 'the HTTP bridge serves plaintext: passwords and tokens cross the network in clear unless a TLS-terminating proxy is in front');
  }
  return {
    port: boundPort,
    app,
    close: () => app.close(),
  };
}

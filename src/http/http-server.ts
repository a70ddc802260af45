/**
 * The HTTP door: one fastify server for the REST login dialects, the JWKS, token introspection and
 * revocation, and the OpenAPI document (generated from the route schemas). Each dialect is a fastify
 * plugin under its prefix with its own body parser, error and not-found handlers, so bad input,
 * unknown routes and oversized bodies (64 KiB at most) answer in its own shape.
 * HTTPS unless the operator turned TLS off (a TLS-terminating proxy in front).
 */
import Fastify, { FastifyInstance } from 'fastify';
import { Logger } from 'pino';
import { createAddressLimiter } from '../core/identity/address-limiter';
import { ENV_NAMES } from '../config';
import { asListenFailure } from '../listen-failure';
import { registerAccessLog } from './access-log';
import { Answers, createDialectContext, HttpDoorDeps, HttpMetrics } from './dialect';
import { HttpTls } from './http-tls';
import { createNodeServer } from './node-server';
import { registerDrainAnswers } from './drain-answers';
import { retryAfter } from './request';
import { DIALECTS } from './dialects';
import { useFormBodies } from './bodies';
import { registerFailureLimit } from './failure-limit';
import { registerOpenApi } from './openapi';
import { useAnswers } from './scope-answers';
import { registerTokenEndpoints } from './token-endpoints';

export const BODY_LIMIT = 64 * 1024;
/** One year, the usual HSTS value; no includeSubDomains: the gateway does not know who else lives under its domain. */
export const HSTS = 'max-age=31536000';

export interface HttpServer {
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Outside every dialect's prefix: OAuth-style `{error}` bodies. */
const BRIDGE_ANSWERS: Answers = {
  fallback(reply, status) {
    const error = status === 404 ? 'not_found' : status === 413 ? 'body_too_large' : status === 503 ? 'temporarily_unavailable' : status >= 500 ? 'server_error' : 'invalid_request';
    return reply.code(status).send({ error });
  },
  tooMany: (reply, retryAfterSeconds) => retryAfter(reply, retryAfterSeconds).code(429).send({ error: 'too_many_requests' }),
};

/**
 * Counts every answer by dialect, route pattern and status. A route's dialect is the one being
 * registered when fastify announced the route; requests matching no route count as route 'unmatched'.
 */
function countAnswers(app: FastifyInstance, metrics: HttpMetrics): { registering(dialect: string): void } {
  let current = 'bridge';
  // Each route's handle is resolved once, when fastify announces the route.
  const handleOf = new Map<string, ReturnType<HttpMetrics['httpRoute']>>();
  const unmatched = metrics.httpRoute('none', 'unmatched');
  app.addHook('onRoute', (route) => {
    if (!handleOf.has(route.url)) handleOf.set(route.url, metrics.httpRoute(current, route.url));
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url;
    const handle = route === undefined ? unmatched : (handleOf.get(route) ?? metrics.httpRoute('bridge', route));
    handle.done(reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  return {
    registering(dialect) {
      current = dialect;
    },
  };
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
    // Our own drain answer goes through the hooks (request id, access line): see drain-answers.ts.
    return503OnClosing: false,
    // Route schemas validate bodies as written: no coercion (5 is not "5"), no defaults added, extra
    // fields kept (and ignored). allErrors lets a dialect name the first listed field that fails, as its
    // hand validation did; the schemas are small and pattern-free and bodies at most 64 KiB.
    ajv: { customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: true } },
    serverFactory: (handler) => createNodeServer(handler, tls, limits, log),
  });
  registerAccessLog(app, log);
  // onSend sees every answer: routes, not-found and error handlers alike. Answers carry tokens,
  // introspection results and account state: no cache keeps them (RFC 6749 §5.1 asks it of token
  // answers; Pragma for HTTP/1.0 caches), unless the route says otherwise (the JWKS is public).
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) {
      reply.header('cache-control', 'no-store');
      reply.header('pragma', 'no-cache');
    }
    if (tls) reply.header('strict-transport-security', HSTS);
    done(null, payload);
  });
  const countAnswer = deps.metrics ? countAnswers(app, deps.metrics) : undefined;
  // Response schemas document the answers; JSON.stringify writes them as the handlers made them
  // (fastify's schema serializer would reorder, coerce and drop fields). The reply serializer takes
  // precedence over the schemas' for every answer, so fastify does not look one up per answer
  // (parsing the content type each time); the compiler is still asked for one per documented answer.
  const serialize = (data: unknown) => JSON.stringify(data);
  app.setSerializerCompiler(() => serialize);
  app.setReplySerializer(serialize);
  await registerOpenApi(app);

  // The root scope: the token endpoints and every path outside the dialects' prefixes.
  useAnswers(app, BRIDGE_ANSWERS, log);
  useFormBodies(app);
  registerDrainAnswers(app);
  registerFailureLimit(app, createAddressLimiter(ctx.clock, log, config.httpFailuresPerMinute));
  registerTokenEndpoints(app, ctx);
  // Each dialect is its own encapsulated plugin: routes, error and not-found handlers under its prefix.
  for (const dialect of DIALECTS) {
    countAnswer?.registering(dialect.name);
    await app.register(dialect.plugin, { prefix: dialect.prefix, ctx, dialect: dialect.name });
  }
  countAnswer?.registering('bridge');

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

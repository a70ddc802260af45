/**
 * While the bridge closes (SIGTERM, a worker stopping), a request that still arrives on an open
 * keep-alive connection is answered 503 with Retry-After in its scope's shape, through the usual
 * hooks: it carries its X-Request-Id (and HSTS), gets its access line and is counted. fastify's own
 * return503OnClosing answers before any hook, so none of that happened; it is off (http-server.ts).
 * Requests already running when the close began finish as usual.
 */
import { FastifyInstance } from 'fastify';
import { retryAfter } from './request';

/** Call on the root after its Answers are installed: the hook reaches every scope made later. */
export function registerDrainAnswers(app: FastifyInstance): void {
  let closing = false;
  // preClose runs as the close begins, before the listener stops and idle connections are closed.
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // A callback hook, not an async one: no promise per request.
  app.addHook('onRequest', (req, reply, done) => {
    if (!closing) return done();
    // Answered here: done is not called, so no later hook or handler runs.
    req.server.answers.fallback(retryAfter(reply, 1), 503);
  });
}

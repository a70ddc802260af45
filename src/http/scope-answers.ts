/**
 * Installs a scope's Answers on a fastify instance: its own error and not-found handlers (fastify
 * encapsulates both per plugin and prefix), and the decorator the failure limit reads to refuse in
 * the scope's shape. Used by the bridge for its root and by each dialect for its prefix.
 */
import { FastifyError, FastifyInstance } from 'fastify';
import { Logger } from 'pino';
import { StoreUnavailable } from '../errors';
import { Answers } from './dialect';
import { retryAfter } from './request';

export function useAnswers(app: FastifyInstance, answers: Answers, log: Logger): void {
  app.decorate('answers', answers);
  app.setNotFoundHandler((_req, reply) => answers.fallback(reply, 404));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof StoreUnavailable) {
      // The database is away: say so at once; clients retry, nothing was half-written.
      log.warn({ url: req.url.split('?')[0], reason: err.message }, 'store unavailable');
      return answers.fallback(retryAfter(reply, 1), 503);
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error({ err, url: req.url.split('?')[0] }, 'HTTP request failed');
    return answers.fallback(reply, status);
  });
}

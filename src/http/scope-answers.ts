/**
 * Installs a scope's Answers on a fastify instance: its own error and not-found handlers (fastify
 * encapsulates both per plugin and prefix), its body parser, and the decorator the failure limit
 * reads to refuse in the scope's shape. Used by the bridge for its root and by each dialect for its
 * prefix. Bodies a route's JSON Schema refuses reach the error handler as fastify validation errors.
 */
import { FastifyError, FastifyInstance } from 'fastify';
import { Logger } from 'pino';
import { ErrorCode } from '../errors';
import { badInputOf } from './bad-input';
import { Answers } from './dialect';
import { useJsonBodies } from './bodies';
import { retryAfter } from './request';

export function useAnswers(app: FastifyInstance, answers: Answers, log: Logger): void {
  app.decorate('answers', answers);
  if (answers.jsonTypes) useJsonBodies(app, answers.jsonTypes);
  app.setNotFoundHandler((_req, reply) => answers.fallback(reply, 404));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if ((err.code as ErrorCode) === 'ERR_STORE_UNAVAILABLE') {
      // The database is away: say so at once; clients retry, nothing was half-written.
      log.warn({ url: req.url.split('?')[0], reason: err.message }, 'store unavailable');
      return answers.fallback(retryAfter(reply, 1), 503);
    }
    if (err.validation && err.validationContext === 'body' && answers.badInput) {
      const typeAccepted = answers.jsonTypes?.test(req.headers['content-type'] ?? '') ?? false;
      return answers.badInput(reply, badInputOf(err.validation, req.routeOptions.schema?.body, typeAccepted), req);
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error({ err, url: req.url.split('?')[0] }, 'HTTP request failed');
    return answers.fallback(reply, status);
  });
}

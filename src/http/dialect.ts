import { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { Config } from '../config';
import { Clock } from '../core/clock';
import { Core } from '../core/create-core';
import { createIdentityUseCases, IdentityUseCases } from '../core/identity/identity-use-cases';
import { BadInput } from './bad-input';

/** What the HTTP door is started with; it hands its dialects a DialectContext made from it. */
export interface HttpDoorDeps {
  core: Core;
  config: Readonly<Config>;
  log: Logger;
  /** Counts answered requests (the operations listener's /metrics); none when it is off. */
  metrics?: HttpMetrics;
}

/** `route` is the route pattern (never the raw URL); `dialect` a dialect name, 'bridge' or 'none' (no route). One handle per route, made once. */
export interface HttpMetrics {
  httpRoute(dialect: string, route: string): { done(status: number, seconds: number): void };
}

/** What a dialect (and the token endpoints) may use: the identity use cases, not the whole core. */
export interface DialectContext {
  /** Login, refresh, revocation, introspection: the only places that decide, audit and issue. */
  identity: IdentityUseCases;
  clock: Clock;
  /** The settings the HTTP routes read themselves (client authentication of the token endpoints). */
  config: Pick<Readonly<Config>, 'introspectionClients'>;
  log: Logger;
}

export async function createDialectContext({ core, config, log }: HttpDoorDeps): Promise<DialectContext> {
  const identity = await createIdentityUseCases(core, {
    issuer: config.tokenIssuer,
    revocationClients: config.revocationClients,
    externalIdp: config.idpIssuer
      ? {
          issuer: config.idpIssuer,
          jwks: config.idpJwks,
          audience: config.idpAudience,
          subjects: new Map(config.idpSubjects.map((e) => e.split('=') as [string, string])),
          maxTokenSeconds: config.idpMaxTokenSeconds,
        }
      : undefined,
  });
  return { identity, clock: core.clock, config: { introspectionClients: config.introspectionClients }, log };
}

/**
 * How one scope of the bridge (a dialect, or the bridge outside every dialect) answers what its
 * routes did not decide: unknown routes, unreadable or oversized requests, a crash, the store away,
 * and the failure limit's refusals. `useAnswers` (scope-answers.ts) installs them on a fastify scope.
 */
export interface Answers {
  /** The error body for a status the router decided (404 unknown route, 413 body too large, 400, 500, 503). */
  fallback(reply: FastifyReply, status: number): FastifyReply;
  /** 429 with Retry-After in this scope's shape (as its lockout answers). */
  tooMany(reply: FastifyReply, retryAfterSeconds: number): FastifyReply;
  /** A dialect taking JSON bodies: the content types it reads as JSON (see bodies.ts). */
  jsonTypes?: RegExp;
  /** The answer to a body its route's JSON Schema refuses (without it: fallback 400). */
  badInput?(reply: FastifyReply, input: BadInput, req: FastifyRequest): FastifyReply;
}

/** What the bridge hands each dialect plugin (fastify plugin options). */
export interface DialectOptions {
  ctx: DialectContext;
  /** The dialect's name, for the access log (access-log.ts names each request's scope by it). */
  dialect?: string;
}

/**
 * One REST login dialect: an adapter from its wire shapes to the identity use cases, owning no policy.
 * Its plugin is registered (encapsulated, not fastify-plugin wrapped) under `prefix`; it declares
 * its routes relative to that prefix and installs its Answers with `useAnswers`, so unknown routes
 * and unreadable requests under the prefix answer in its shape.
 */
export interface Dialect {
  name: string;
  /** '' for a dialect whose routes are top-level paths (Cognito): its plugin then scopes each one itself. */
  prefix: string;
  plugin: FastifyPluginAsync<DialectOptions>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The Answers of the innermost scope (useAnswers decorates each scope; fastify's decorators inherit). */
    answers: Answers;
  }
}

import { FastifyInstance, FastifyReply } from 'fastify';
import { Logger } from 'pino';
import { Config } from '../config';
import { Clock } from '../core/clock';
import { Core } from '../core/create-core';
import { createIdentityUseCases, IdentityUseCases } from '../core/identity/identity-use-cases';

/** What the HTTP door is started with; it hands its dialects a DialectContext made from it. */
export interface HttpDoorDeps {
  core: Core;
  config: Readonly<Config>;
  log: Logger;
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
 * One REST login dialect: an adapter from its wire shapes to the identity use cases. It registers its
 * routes, its error shape (for bad input, oversized bodies and unknown routes under its prefix) and
 * owns no policy.
 */
export interface Dialect {
  name: string;
  /** URL prefixes whose unknown routes and unreadable requests answer in this dialect's error shape. */
  prefixes: string[];
  register(app: FastifyInstance, ctx: DialectContext): Promise<void> | void;
  /** The dialect's error body for a status the router decided (404 unknown route, 413 body too large, 400, 500, 503). */
  fallback(reply: FastifyReply, status: number, ctx: DialectContext): FastifyReply;
  /** 429 with Retry-After in this dialect's shape (as its lockout answers). */
  tooMany(reply: FastifyReply, retryAfterSeconds: number, ctx: DialectContext): FastifyReply;
}

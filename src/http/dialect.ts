import { FastifyInstance, FastifyReply } from 'fastify';
import { Logger } from 'pino';
import { Config } from '../config';
import { Core } from '../core/create-core';

export interface DialectContext {
  core: Core;
  config: Readonly<Config>;
  log: Logger;
}

/**
 * One REST login dialect: an adapter from its wire shapes to the identity core. It registers its
 * routes, its error shape (for bad input, oversized bodies and unknown routes under its prefix) and
 * owns no policy.
 */
export interface Dialect {
  name: string;
  /** URL prefixes whose unknown routes and unreadable requests answer in this dialect's error shape. */
  prefixes: string[];
  register(app: FastifyInstance, ctx: DialectContext): Promise<void> | void;
  /** The dialect's error body for a status the router decided (404 unknown route, 413 body too large, 400, 500). */
  fallback(reply: FastifyReply, status: number): FastifyReply;
  /** 429 with Retry-After in this dialect's shape (as its lockout answers). */
  tooMany(reply: FastifyReply, retryAfterSeconds: number): FastifyReply;
}

/**
 * datarhei Core's login API: POST /api/login (password or external IdP token), GET /api/login/refresh,
 * GET /api. Refresh tokens are reusable until they expire or are revoked: datarhei clients keep the
 * one they got at login for its whole 24 h.
 */
import { randomUUID } from 'node:crypto';
import { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, InvalidArgument, InvalidCredentials, PasswordChangeRequired, StoreUnavailable, TooManyAttempts } from '../../../errors';
import { UserRecord } from '../../../store/store';
import { Answers, Dialect } from '../../dialect';
import { useAnswers } from '../../scope-answers';
import { emptyBody } from '../../bodies';
import { bearerToken, clientAddress, retryAfter } from '../../request';
import { BAD_CREDENTIALS, datarheiError, INVALID_JWT, MISSING_CREDENTIALS, TOO_MANY_ATTEMPTS } from './errors';
import { createExternalIdp, ExternalIdp } from './external-idp';
import * as schemas from './schemas';

const DIALECT = 'datarhei';
export const ACCESS_TTL = 600;
export const REFRESH_TTL = 86_400;
const VERSION = '16.0.0';

const answers: Answers = {
  fallback: (reply, status) =>
    datarheiError(reply, status, status === 413 ? 'Request body is too large' : status === 404 ? 'Not found' : status === 503 ? 'Service unavailable, retry later' : status >= 500 ? 'Internal error' : 'Bad request'),
  tooMany: (reply, seconds) => datarheiError(retryAfter(reply, seconds), 429, TOO_MANY_ATTEMPTS),
  jsonTypes: /^application\/json\b/i,
  badInput: (reply) => datarheiError(reply, 400, MISSING_CREDENTIALS),
};

export const datarhei: Dialect = {
  name: DIALECT,
  prefix: '/api',
  async plugin(app, { ctx }) {
    useAnswers(app, answers, ctx.log);
    const { identity } = ctx.core;
    const instanceId = randomUUID();
    const startedAt = new Date();
    const idp: ExternalIdp | undefined = ctx.config.idpIssuer
      ? createExternalIdp({
          issuer: ctx.config.idpIssuer,
          jwks: ctx.config.idpJwks,
          audience: ctx.config.idpAudience,
          subjects: new Map(ctx.config.idpSubjects.map((e) => e.split('=') as [string, string])),
          clock: ctx.core.clock,
          maxTokenSeconds: ctx.config.idpMaxTokenSeconds,
        })
      : undefined;

    async function issue(user: UserRecord, subject: string) {
      const claims = { sub: subject, tenant: user.tenantId, uid: user.userId };
      const access = identity.access.sign({ ...claims, usefor: 'access', exi: ACCESS_TTL }, ACCESS_TTL);
      const refreshJwt = identity.access.sign({ ...claims, usefor: 'refresh', exi: REFRESH_TTL }, REFRESH_TTL);
      await identity.refresh.issue(user, DIALECT, { rotating: false, ttlSeconds: REFRESH_TTL, token: refreshJwt.token });
      return { access_token: access.token, refresh_token: refreshJwt.token };
    }

    /** The user behind a datarhei token of the given use, if everything about it is still good. */
    async function tokenUser(token: string | undefined, usefor: 'access' | 'refresh') {
      if (!token) return undefined;
      try {
        const claims = await identity.access.verify(token);
        if (claims.usefor !== usefor || typeof claims.uid !== 'string') return undefined;
        const user = await identity.users.active(claims.uid);
        return user && { user, claims };
      } catch (err) {
        // A database that cannot answer is a 503, not a bad token.
        if (err instanceof StoreUnavailable) throw err;
        return undefined;
      }
    }

    function failure(reply: FastifyReply, err: unknown) {
      if (err instanceof TooManyAttempts) return datarheiError(retryAfter(reply, err.retryAfterSeconds), 429, TOO_MANY_ATTEMPTS);
      if (err instanceof PasswordChangeRequired) return datarheiError(reply, 401, 'Password change required: set a new password first');
      if (err instanceof InvalidCredentials) return datarheiError(reply, 401, BAD_CREDENTIALS);
      if (err instanceof InvalidArgument) return datarheiError(reply, 400, MISSING_CREDENTIALS);
      throw err;
    }

    async function idpLogin(req: FastifyRequest, reply: FastifyReply, token: string) {
      const address = clientAddress(req);
      if (!idp) return datarheiError(reply, 401, 'External login is not configured');
      const result = await idp.verify(token);
      const user = result.ok ? await identity.users.find(result.username) : undefined;
      const active = user && (await identity.users.active(user.userId));
      if (!result.ok || !active) {
        const reason = result.ok ? 'user not allowed' : result.reason;
        await identity.audit({ event: 'login', outcome: 'failure', dialect: `${DIALECT}-idp`, address, detail: reason });
        return datarheiError(reply, 401, reason);
      }
      await identity.audit({ event: 'login', outcome: 'success', dialect: `${DIALECT}-idp`, username: active.username, tenantId: active.tenantId, address });
      return reply.send(await issue(active, result.subject));
    }

    // attachValidation: a bearer token and no body is the external IdP login, which the body schema does not describe.
    app.post('/login', { schema: schemas.login, attachValidation: true }, async (req, reply) => {
      const external = bearerToken(req);
      if (external && emptyBody(req.body)) return idpLogin(req, reply, external);
      if (req.validationError) return datarheiError(reply, 400, MISSING_CREDENTIALS);
      const body = req.body as schemas.LoginBody;
      const address = clientAddress(req);
      try {
        const user = await identity.users.authenticate({ username: body.username, password: body.password, address, dialect: DIALECT });
        await identity.audit({ event: 'login', outcome: 'success', dialect: DIALECT, username: user.username, tenantId: user.tenantId, address });
        return reply.send(await issue(user, user.username));
      } catch (err) {
        return failure(reply, err);
      }
    });

    app.get('/login/refresh', { schema: schemas.refresh }, async (req, reply) => {
      const token = bearerToken(req);
      const found = await tokenUser(token, 'refresh');
      if (!found) return datarheiError(reply, 401, INVALID_JWT);
      try {
        await identity.refresh.use(token!, DIALECT, clientAddress(req));
      } catch (err) {
        if (err instanceof GatewayError) return datarheiError(reply, 401, INVALID_JWT);
        throw err;
      }
      const { user, claims } = found;
      const access = identity.access.sign({ sub: claims.sub, tenant: user.tenantId, uid: user.userId, usefor: 'access', exi: ACCESS_TTL }, ACCESS_TTL);
      return reply.send({ access_token: access.token });
    });

    app.get('', { schema: schemas.about }, async (req, reply) => {
      const about = {
        app: 'datarhei-core',
        auths: ['localjwt', ...(idp ? ['auth0'] : [])],
        // datarhei's shape, but nothing about the host: a runtime version only helps an attacker pick an exploit.
        version: { number: VERSION, repository_commit: '', repository_branch: '', build_date: '', arch: '', compiler: '' },
      };
      const found = await tokenUser(bearerToken(req), 'access');
      if (!found) return reply.send(about);
      return reply.send({
        ...about,
        name: 'master-gateway',
        id: instanceId,
        created_at: startedAt.toISOString(),
        uptime_seconds: Math.floor((Date.now() - startedAt.getTime()) / 1000),
      });
    });
  },
};

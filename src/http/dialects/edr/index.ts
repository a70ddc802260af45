/**
 * EDR mobile login: POST /mobile/v1/auth/edr (account step → short-lived mobile JWT), then
 * POST /mobile/v1/auth/login (credentials + that JWT → access token). POST /mobile/v1/auth/refresh is
 * our addition (the original has none): login also returns a refreshToken, and refresh tokens
 * rotate — each refresh spends the one presented and returns the next of the same family.
 */
import { FastifyReply } from 'fastify';
import { GatewayError, InvalidArgument, InvalidCredentials, PasswordChangeRequired, TooManyAttempts } from '../../../errors';
import { UserRecord } from '../../../store/store';
import { Answers, Dialect } from '../../dialect';
import { useAnswers } from '../../scope-answers';
import { clientAddress, retryAfter } from '../../request';
import * as msg from './errors';
import { createMobileJwt } from './mobile-jwt';
import * as schemas from './schemas';
import { userView } from './user-view';

const DIALECT = 'edr';
export const ACCESS_TTL = 3600;
export const REFRESH_TTL = 30 * 86_400;

const answers: Answers = {
  fallback: (reply, status) =>
    reply.code(status).send({ response: { code: status, timestamp: new Date().toISOString(), message: msg.fallbackMessage(status) }, data: null }),
  tooMany: (reply, seconds) =>
    retryAfter(reply, seconds).code(429).send({ response: { code: 429, timestamp: new Date().toISOString(), message: msg.TOO_MANY_ATTEMPTS }, data: null }),
  jsonTypes: /^application\/json\b/i,
};

export const edr: Dialect = {
  name: DIALECT,
  prefix: '/mobile',
  async plugin(app, { ctx }) {
    const { identity, clock } = ctx.core;
    const { ok, fail } = msg.edrReplies(clock);
    useAnswers(app, {
      ...answers,
      // Each route names its own required fields (its config.missing).
      badInput: (reply, input, req) =>
        fail(reply, 400, input.problem === 'content-type' ? msg.NOT_JSON : input.problem === 'unreadable' ? msg.NOT_AN_OBJECT : ((req.routeOptions.config as { missing?: string }).missing ?? msg.NEED_CREDENTIALS)),
    }, ctx.log);
    const mobileJwt = createMobileJwt(() => identity.mobileKey, ctx.config.tokenIssuer, clock);

    /** The core's password check in this dialect's shapes; undefined once a failure has been sent. */
    async function authenticate(reply: FastifyReply, username: string, password: string, address: string): Promise<UserRecord | undefined> {
      try {
        return await identity.users.authenticate({ username, password, address, dialect: DIALECT });
      } catch (err) {
        if (err instanceof PasswordChangeRequired) fail(reply, 403, msg.PASSWORD_CHANGE_REQUIRED);
        else if (err instanceof TooManyAttempts) fail(retryAfter(reply, err.retryAfterSeconds), 429, msg.TOO_MANY_ATTEMPTS);
        else if (err instanceof InvalidCredentials) fail(reply, 401, msg.INVALID_LOGIN);
        else if (err instanceof InvalidArgument) fail(reply, 400, msg.NEED_CREDENTIALS);
        else throw err;
      }
      return undefined;
    }

    async function tokens(user: UserRecord, familyId?: string) {
      const claims = { sub: user.userId, uid: user.userId, tenant: user.tenantId, username: user.username };
      const access = identity.access.sign(claims, ACCESS_TTL, { typ: 'access' });
      const refresh = await identity.refresh.issue(user, DIALECT, { rotating: true, ttlSeconds: REFRESH_TTL, familyId });
      return { accessToken: access.token, refreshToken: refresh.token };
    }

    app.post('/v1/auth/edr', { schema: schemas.accountStep, config: { missing: msg.NEED_CREDENTIALS } }, async (req, reply) => {
      const body = req.body as schemas.CredentialsBody;
      const user = await authenticate(reply, body.username, body.password, clientAddress(req));
      if (!user) return reply;
      await identity.audit({ event: 'login', outcome: 'success', dialect: DIALECT, username: user.username, tenantId: user.tenantId, address: clientAddress(req), detail: 'account step: mobile jwt issued' });
      return ok(reply, mobileJwt.sign(user.userId), { type: 'jwt' });
    });

    app.post('/v1/auth/login', { schema: schemas.login, config: { missing: msg.NEED_LOGIN_FIELDS } }, async (req, reply) => {
      const body = req.body as schemas.LoginBody;
      const address = clientAddress(req);
      // The mobile JWT is checked before the password, so a bad one never reaches argon2 or the
      // lockout counters, and every mismatch (other account, unknown user) answers alike.
      try {
        mobileJwt.verify(body.jwt, (await identity.users.find(body.username))?.userId);
      } catch (err) {
        if (!(err instanceof GatewayError)) throw err;
        await identity.audit({ event: 'login', outcome: 'failure', dialect: DIALECT, username: body.username.slice(0, 128), address, detail: err.code });
        return fail(reply, 401, msg.INVALID_LOGIN);
      }
      const user = await authenticate(reply, body.username, body.password, address);
      if (!user) return reply;
      await identity.audit({ event: 'login', outcome: 'success', dialect: DIALECT, username: user.username, tenantId: user.tenantId, address });
      const { accessToken, refreshToken } = await tokens(user);
      return ok(reply, { accessToken, refreshToken, user: userView(user) });
    });

    app.post('/v1/auth/refresh', { schema: schemas.refresh, config: { missing: msg.NEED_REFRESH_TOKEN } }, async (req, reply) => {
      const body = req.body as schemas.RefreshBody;
      let used;
      try {
        used = await identity.refresh.use(body.refreshToken, DIALECT, clientAddress(req));
      } catch (err) {
        if (err instanceof GatewayError) return fail(reply, 401, msg.INVALID_REFRESH);
        throw err;
      }
      return ok(reply, await tokens(used.user, used.record.familyId));
    });
  },
};

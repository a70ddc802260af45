/**
 * EDR mobile login: POST /mobile/v1/auth/edr (account step → short-lived mobile JWT), then
 * POST /mobile/v1/auth/login (credentials + that JWT → access token). POST /mobile/v1/auth/refresh is
 * our addition (the original has none): login also returns a refreshToken, and refresh tokens
 * rotate — each refresh spends the one presented and returns the next of the same family.
 */
import { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, InvalidArgument, InvalidCredentials, PasswordChangeRequired, TooManyAttempts } from '../../../errors';
import { UserRecord } from '../../../store/store';
import { Answers, Dialect } from '../../dialect';
import { useAnswers } from '../../scope-answers';
import { clientAddress, jsonBody, nonEmptyString, retryAfter } from '../../request';
import * as msg from './errors';
import { createMobileJwt } from './mobile-jwt';
import { userView } from './user-view';

const DIALECT = 'edr';
export const ACCESS_TTL = 3600;
export const REFRESH_TTL = 30 * 86_400;

type Fields<K extends string> = { [key in K]: string };

const answers: Answers = {
  fallback: (reply, status) =>
    reply.code(status).send({ response: { code: status, timestamp: new Date().toISOString(), message: msg.fallbackMessage(status) }, data: null }),
  tooMany: (reply, seconds) =>
    retryAfter(reply, seconds).code(429).send({ response: { code: 429, timestamp: new Date().toISOString(), message: msg.TOO_MANY_ATTEMPTS }, data: null }),
};

export const edr: Dialect = {
  name: DIALECT,
  prefix: '/mobile',
  async plugin(app, { ctx }) {
    useAnswers(app, answers, ctx.log);
    const { identity, clock } = ctx.core;
    const { ok, fail } = msg.edrReplies(clock);
    const mobileJwt = createMobileJwt(() => identity.mobileKey, ctx.config.tokenIssuer, clock);

    /** The named string fields of a JSON body, or undefined once a 400 has been sent. */
    function fields<K extends string>(req: FastifyRequest, reply: FastifyReply, names: K[], missing: string): Fields<K> | undefined {
      const body = jsonBody(req);
      if (!body.ok) {
        fail(reply, 400, body.reason === 'content-type' ? msg.NOT_JSON : msg.NOT_AN_OBJECT);
        return undefined;
      }
      if (!names.every((n) => nonEmptyString(body.value[n]))) {
        fail(reply, 400, missing);
        return undefined;
      }
      return body.value as Fields<K>;
    }

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

    app.post('/v1/auth/edr', async (req, reply) => {
      const body = fields(req, reply, ['username', 'password'], msg.NEED_CREDENTIALS);
      if (!body) return reply;
      const user = await authenticate(reply, body.username, body.password, clientAddress(req));
      if (!user) return reply;
      await identity.audit({ event: 'login', outcome: 'success', dialect: DIALECT, username: user.username, tenantId: user.tenantId, address: clientAddress(req), detail: 'account step: mobile jwt issued' });
      return ok(reply, mobileJwt.sign(user.userId), { type: 'jwt' });
    });

    app.post('/v1/auth/login', async (req, reply) => {
      const body = fields(req, reply, ['username', 'password', 'jwt'], msg.NEED_LOGIN_FIELDS);
      if (!body) return reply;
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

    app.post('/v1/auth/refresh', async (req, reply) => {
      const body = fields(req, reply, ['refreshToken'], msg.NEED_REFRESH_TOKEN);
      if (!body) return reply;
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

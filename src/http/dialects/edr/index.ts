/**
 * EDR mobile login: POST /mobile/v1/auth/edr (account step → short-lived mobile JWT), then
 * POST /mobile/v1/auth/login (credentials + that JWT → access token). POST /mobile/v1/auth/refresh is
 * our addition (the original has none): login also returns a refreshToken, and refresh tokens
 * rotate (see answers.ts).
 */
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Dialect, DialectContext } from '../../dialect';
import { clientAddress, jsonBody, nonEmptyString } from '../../request';
import { loginAnswer, ok, PROFILE, refreshAnswer } from './answers';
import { edrFailure, fallback, NEED_CREDENTIALS, NEED_LOGIN_FIELDS, NEED_REFRESH_TOKEN, NOT_AN_OBJECT, NOT_JSON, sendError, tooMany } from './errors';

type Fields<K extends string> = { [key in K]: string };

export const edr: Dialect = {
  name: PROFILE.dialect,
  prefixes: ['/mobile'],
  fallback,
  tooMany,
  register(app: FastifyInstance, ctx: DialectContext) {
    const { identity, clock } = ctx;

    /** The named string fields of a JSON body, or undefined once a 400 has been sent. */
    function fields<K extends string>(req: FastifyRequest, reply: FastifyReply, names: K[], missing: string): Fields<K> | undefined {
      const body = jsonBody(req);
      if (!body.ok) {
        edrFailure(reply, clock, 400, body.reason === 'content-type' ? NOT_JSON : NOT_AN_OBJECT);
        return undefined;
      }
      if (!names.every((n) => nonEmptyString(body.value[n]))) {
        edrFailure(reply, clock, 400, missing);
        return undefined;
      }
      return body.value as Fields<K>;
    }

    app.post('/mobile/v1/auth/edr', async (req, reply) => {
      const body = fields(req, reply, ['username', 'password'], NEED_CREDENTIALS);
      if (!body) return reply;
      try {
        const mobileJwt = await identity.accountStep({ username: body.username, password: body.password, address: clientAddress(req) }, PROFILE.dialect);
        return ok(reply, clock, mobileJwt, { type: 'jwt' });
      } catch (err) {
        return sendError(reply, clock, err);
      }
    });

    app.post('/mobile/v1/auth/login', async (req, reply) => {
      const body = fields(req, reply, ['username', 'password', 'jwt'], NEED_LOGIN_FIELDS);
      if (!body) return reply;
      const { username, password, jwt } = body;
      try {
        return ok(reply, clock, loginAnswer(await identity.login({ username, password, accountProof: jwt, address: clientAddress(req) }, PROFILE)));
      } catch (err) {
        return sendError(reply, clock, err);
      }
    });

    app.post('/mobile/v1/auth/refresh', async (req, reply) => {
      const body = fields(req, reply, ['refreshToken'], NEED_REFRESH_TOKEN);
      if (!body) return reply;
      try {
        return ok(reply, clock, refreshAnswer(await identity.refresh(body.refreshToken, clientAddress(req), PROFILE)));
      } catch (err) {
        return sendError(reply, clock, err);
      }
    });
  },
};

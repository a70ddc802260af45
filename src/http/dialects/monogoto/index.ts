/**
 * Monogoto-style login: POST /Auth, and POST /Auth/Refresh (this project's name for the newer API's
 * refresh call: `{"refreshToken"}` → `{"token","refreshToken"}`). Refresh tokens rotate (see answers.ts).
 */
import { FastifyInstance } from 'fastify';
import { Dialect, DialectContext } from '../../dialect';
import { clientAddress, jsonBody, nonEmptyString } from '../../request';
import { loginAnswer, PROFILE, refreshAnswer } from './answers';
import { accessDenied, fallback, sendError, tooMany } from './errors';

export const monogoto: Dialect = {
  name: PROFILE.dialect,
  prefixes: ['/Auth'],
  fallback,
  tooMany,
  register(app: FastifyInstance, ctx: DialectContext) {
    const { identity } = ctx;

    app.post('/Auth', async (req, reply) => {
      const body = jsonBody(req);
      if (!body.ok || !nonEmptyString(body.value.UserName) || !nonEmptyString(body.value.Password)) return accessDenied(reply);
      try {
        return reply.send(loginAnswer(await identity.login({ username: body.value.UserName, password: body.value.Password, address: clientAddress(req) }, PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });

    app.post('/Auth/Refresh', async (req, reply) => {
      const body = jsonBody(req);
      if (!body.ok || !nonEmptyString(body.value.refreshToken)) return accessDenied(reply);
      try {
        return reply.send(refreshAnswer(await identity.refresh(body.value.refreshToken, clientAddress(req), PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });
  },
};

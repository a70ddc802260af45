/**
 * Monogoto-style login: POST /Auth, and POST /Auth/Refresh (this project's name for the newer API's
 * refresh call: `{"refreshToken"}` → `{"token","refreshToken"}`). Refresh tokens rotate (see answers.ts).
 */
import { Dialect } from '../../dialect';
import { clientAddress } from '../../request';
import { useAnswers } from '../../scope-answers';
import { loginAnswer, PROFILE, refreshAnswer } from './answers';
import { accessDenied, fallback, sendError, tooMany } from './errors';
import * as schemas from './schemas';

export const monogoto: Dialect = {
  name: PROFILE.dialect,
  prefix: '/Auth',
  async plugin(app, { ctx }) {
    // Every refused body is denied like a failed login.
    useAnswers(app, { fallback, tooMany, jsonTypes: /^application\/json\b/i, badInput: (reply) => accessDenied(reply) }, ctx.log);
    const { identity } = ctx;

    app.post('', { schema: schemas.login }, async (req, reply) => {
      const body = req.body as schemas.LoginBody;
      try {
        return reply.send(loginAnswer(await identity.login({ username: body.UserName, password: body.Password, address: clientAddress(req) }, PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });

    app.post('/Refresh', { schema: schemas.refresh }, async (req, reply) => {
      const body = req.body as schemas.RefreshBody;
      try {
        return reply.send(refreshAnswer(await identity.refresh(body.refreshToken, clientAddress(req), PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });
  },
};

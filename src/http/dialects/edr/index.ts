/**
 * EDR mobile login: POST /mobile/v1/auth/edr (account step → short-lived mobile JWT), then
 * POST /mobile/v1/auth/login (credentials + that JWT → access token). POST /mobile/v1/auth/refresh is
 * our addition (the original has none): login also returns a refreshToken, and refresh tokens
 * rotate (see answers.ts).
 */
import { Dialect } from '../../dialect';
import { clientAddress } from '../../request';
import { useAnswers } from '../../scope-answers';
import { loginAnswer, ok, PROFILE, refreshAnswer } from './answers';
import { edrFailure, fallback, NEED_CREDENTIALS, NEED_LOGIN_FIELDS, NEED_REFRESH_TOKEN, NOT_AN_OBJECT, NOT_JSON, sendError, tooMany } from './errors';
import * as schemas from './schemas';

export const edr: Dialect = {
  name: PROFILE.dialect,
  prefix: '/mobile',
  async plugin(app, { ctx }) {
    const { identity, clock } = ctx;
    useAnswers(
      app,
      {
        fallback: (reply, status) => fallback(reply, status, ctx),
        tooMany: (reply, seconds) => tooMany(reply, seconds, ctx),
        jsonTypes: /^application\/json\b/i,
        // Each route names its own required fields (its config.missing).
        badInput: (reply, input, req) =>
          edrFailure(reply, clock, 400, input.problem === 'content-type' ? NOT_JSON : input.problem === 'unreadable' ? NOT_AN_OBJECT : ((req.routeOptions.config as { missing?: string }).missing ?? NEED_CREDENTIALS)),
      },
      ctx.log,
    );

    app.post('/v1/auth/edr', { schema: schemas.accountStep, config: { missing: NEED_CREDENTIALS } }, async (req, reply) => {
      const body = req.body as schemas.CredentialsBody;
      try {
        const mobileJwt = await identity.accountStep({ username: body.username, password: body.password, address: clientAddress(req) }, PROFILE.dialect);
        return ok(reply, clock, mobileJwt, { type: 'jwt' });
      } catch (err) {
        return sendError(reply, clock, err);
      }
    });

    app.post('/v1/auth/login', { schema: schemas.login, config: { missing: NEED_LOGIN_FIELDS } }, async (req, reply) => {
      const { username, password, jwt } = req.body as schemas.LoginBody;
      try {
        return ok(reply, clock, loginAnswer(await identity.login({ username, password, accountProof: jwt, address: clientAddress(req) }, PROFILE)));
      } catch (err) {
        return sendError(reply, clock, err);
      }
    });

    app.post('/v1/auth/refresh', { schema: schemas.refresh, config: { missing: NEED_REFRESH_TOKEN } }, async (req, reply) => {
      const body = req.body as schemas.RefreshBody;
      try {
        return ok(reply, clock, refreshAnswer(await identity.refresh(body.refreshToken, clientAddress(req), PROFILE)));
      } catch (err) {
        return sendError(reply, clock, err);
      }
    });
  },
};

/**
 * datarhei Core's login API: POST /api/login (password or external IdP token), GET /api/login/refresh,
 * GET /api. Refresh tokens are reusable until they expire or are revoked (see answers.ts).
 */
import { randomUUID } from 'node:crypto';
import { emptyBody } from '../../bodies';
import { Dialect } from '../../dialect';
import { bearerToken, clientAddress } from '../../request';
import { useAnswers } from '../../scope-answers';
import { about, aboutInstance, loginAnswer, PROFILE, refreshAnswer } from './answers';
import { datarheiError, fallback, MISSING_CREDENTIALS, sendError, tooMany } from './errors';
import * as schemas from './schemas';

export const datarhei: Dialect = {
  name: PROFILE.dialect,
  prefix: '/api',
  async plugin(app, { ctx }) {
    useAnswers(app, { fallback, tooMany, jsonTypes: /^application\/json\b/i, badInput: (reply) => datarheiError(reply, 400, MISSING_CREDENTIALS) }, ctx.log);
    const { identity, clock } = ctx;
    const instanceId = randomUUID();
    const startedAt = clock();

    // attachValidation: a bearer token and no body is the external IdP login, which the body schema does not describe.
    app.post('/login', { schema: schemas.login, attachValidation: true }, async (req, reply) => {
      const external = bearerToken(req);
      try {
        if (external && emptyBody(req.body)) return reply.send(loginAnswer(await identity.loginExternal(external, clientAddress(req), PROFILE)));
        if (req.validationError) return datarheiError(reply, 400, MISSING_CREDENTIALS);
        const { username, password } = req.body as schemas.LoginBody;
        return reply.send(loginAnswer(await identity.login({ username, password, address: clientAddress(req) }, PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });

    app.get('/login/refresh', { schema: schemas.refresh }, async (req, reply) => {
      try {
        return reply.send(refreshAnswer(await identity.refresh(bearerToken(req) ?? '', clientAddress(req), PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });

    app.get('', { schema: schemas.about }, async (req, reply) => {
      const token = bearerToken(req);
      const found = token ? await identity.tokenUser(token) : undefined;
      if (!found || found.claims.usefor !== 'access') return reply.send(about(identity.externalLogin));
      return reply.send(aboutInstance(identity.externalLogin, instanceId, startedAt, clock()));
    });
  },
};

/**
 * datarhei Core's login API: POST /api/login (password or external IdP token), GET /api/login/refresh,
 * GET /api. Refresh tokens are reusable until they expire or are revoked (see answers.ts).
 */
import { randomUUID } from 'node:crypto';
import { FastifyInstance } from 'fastify';
import { Dialect, DialectContext } from '../../dialect';
import { bearerToken, clientAddress, jsonBody, nonEmptyString } from '../../request';
import { about, aboutInstance, loginAnswer, PROFILE, refreshAnswer } from './answers';
import { datarheiError, fallback, MISSING_CREDENTIALS, sendError, tooMany } from './errors';

export const datarhei: Dialect = {
  name: PROFILE.dialect,
  prefixes: ['/api'],
  fallback,
  tooMany,
  register(app: FastifyInstance, ctx: DialectContext) {
    const { identity, clock } = ctx;
    const instanceId = randomUUID();
    const startedAt = clock();

    app.post('/api/login', async (req, reply) => {
      const external = bearerToken(req);
      const raw = typeof req.body === 'string' ? req.body.trim() : '';
      try {
        if (external && raw === '') return reply.send(loginAnswer(await identity.loginExternal(external, clientAddress(req), PROFILE)));
        const body = jsonBody(req);
        if (!body.ok || !nonEmptyString(body.value.username) || !nonEmptyString(body.value.password)) {
          return datarheiError(reply, 400, MISSING_CREDENTIALS);
        }
        const { username, password } = body.value;
        return reply.send(loginAnswer(await identity.login({ username, password, address: clientAddress(req) }, PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });

    app.get('/api/login/refresh', async (req, reply) => {
      try {
        return reply.send(refreshAnswer(await identity.refresh(bearerToken(req) ?? '', clientAddress(req), PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });

    app.get('/api', async (req, reply) => {
      const token = bearerToken(req);
      const found = token ? await identity.tokenUser(token) : undefined;
      if (!found || found.claims.usefor !== 'access') return reply.send(about(identity.externalLogin));
      return reply.send(aboutInstance(identity.externalLogin, instanceId, startedAt, clock()));
    });
  },
};

/**
 * Monogoto-style login: POST /Auth, and POST /Auth/Refresh (this project's name for the newer API's
 * refresh call: `{"refreshToken"}` → `{"token","refreshToken"}`). Refresh tokens rotate: each is
 * single use, and presenting a spent one revokes its whole family (the core records the incident).
 */
import { InvalidArgument, InvalidCredentials, TooManyAttempts } from '../../../errors';
import { UserRecord } from '../../../store/store';
import { Dialect } from '../../dialect';
import { useAnswers } from '../../scope-answers';
import { clientAddress } from '../../request';
import { accessDenied, monogotoFallback, tooManyRequests } from './errors';
import { monogotoLogin } from './profile';
import * as schemas from './schemas';

const DIALECT = 'monogoto';
export const ACCESS_TTL = 3600;
export const REFRESH_TTL = 7 * 86_400;

export const monogoto: Dialect = {
  name: DIALECT,
  prefix: '/Auth',
  async plugin(app, { ctx }) {
    // Every refused body is denied like a failed login.
    useAnswers(app, { fallback: monogotoFallback, tooMany: tooManyRequests, jsonTypes: /^application\/json\b/i, badInput: (reply) => accessDenied(reply) }, ctx.log);
    const { identity, store } = ctx.core;

    const sign = (user: UserRecord) => identity.access.sign({ sub: user.userId, tenant: user.tenantId, username: user.username, role: user.role }, ACCESS_TTL).token;

    app.post('', { schema: schemas.login }, async (req, reply) => {
      const body = req.body as schemas.LoginBody;
      const address = clientAddress(req);
      let user: UserRecord;
      try {
        user = await identity.users.authenticate({ username: body.UserName, password: body.Password, address, dialect: DIALECT });
      } catch (err) {
        if (err instanceof TooManyAttempts) return tooManyRequests(reply, err.retryAfterSeconds);
        if (err instanceof InvalidCredentials || err instanceof InvalidArgument) return accessDenied(reply);
        throw err;
      }
      const audit = { event: 'login', dialect: DIALECT, username: user.username, tenantId: user.tenantId, address } as const;
      const refresh = await identity.refresh.issue(user, DIALECT, { rotating: true, ttlSeconds: REFRESH_TTL });
      await identity.audit({ ...audit, outcome: 'success' });
      return reply.send(monogotoLogin(user, await store.findRole(user.role), sign(user), refresh.token));
    });

    app.post('/Refresh', { schema: schemas.refresh }, async (req, reply) => {
      const body = req.body as schemas.RefreshBody;
      let used;
      try {
        used = await identity.refresh.use(body.refreshToken, DIALECT, clientAddress(req));
      } catch (err) {
        if (err instanceof InvalidCredentials) return accessDenied(reply, 401);
        throw err;
      }
      const { user, record } = used;
      // Joining the family after a concurrent reuse revoked it yields a token that is born revoked.
      const next = await identity.refresh.issue(user, DIALECT, { rotating: true, ttlSeconds: REFRESH_TTL, familyId: record.familyId });
      return reply.send({ token: sign(user), refreshToken: next.token });
    });
  },
};

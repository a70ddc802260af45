/**
 * Cognito-style login: POST /Login (InitiateAuth's result wrapped in `cognitoToken`), the
 * NEW_PASSWORD_REQUIRED challenge answered at POST /RespondToAuthChallenge, and POST /RefreshToken.
 * The original API has no refresh call of its own; /RefreshToken mirrors Cognito's REFRESH_TOKEN_AUTH:
 * new ID and access tokens and no new refresh token, so refresh tokens are reusable until they
 * expire (30 days) or are revoked.
 */
import { FastifyReply, FastifySchema, RouteHandlerMethod } from 'fastify';
import { unixSeconds } from '../../../core/clock';
import { checkNewPassword } from '../../../core/identity/users';
import { InvalidArgument, InvalidCredentials, TooManyAttempts } from '../../../errors';
import { UserRecord } from '../../../store/store';
import { Answers, Dialect } from '../../dialect';
import { useAnswers } from '../../scope-answers';
import { clientAddress, retryAfter } from '../../request';
import { createChallengeSessions } from './challenge-sessions';
import {
  BAD_CREDENTIALS,
  cognitoError,
  cognitoFallback,
  INVALID_REFRESH_TOKEN,
  INVALID_SESSION,
  missingParameter,
  PASSWORD_POLICY,
  RATE_EXCEEDED,
  UNREADABLE_BODY,
  WRONG_CONTENT_TYPE,
} from './errors';
import * as schemas from './schemas';
import { REFRESH_TTL, signCognitoTokens, userAttributes } from './tokens';

const DIALECT = 'cognito';
const NEW_PASSWORD_REQUIRED = 'NEW_PASSWORD_REQUIRED';
const CHALLENGE_SECRET = 'cognito-challenge';

const answers: Answers = {
  fallback: cognitoFallback,
  tooMany: (reply, seconds) => cognitoError(retryAfter(reply, seconds), 429, 'TooManyRequestsException', RATE_EXCEEDED),
  /** Clients send the AWS JSON protocol type as well as plain JSON. */
  jsonTypes: /^application\/(json|x-amz-json-1\.[01])\s*(;|$)/i,
  badInput(reply, input) {
    const message =
      input.problem === 'content-type' ? WRONG_CONTENT_TYPE
      : input.problem === 'unreadable' ? UNREADABLE_BODY
      : input.value ? `Unsupported ${input.field}.`
      : missingParameter(input.field);
    return cognitoError(reply, 400, 'InvalidParameterException', message);
  },
};

export const cognito: Dialect = {
  name: DIALECT,
  // Cognito's operations are top-level paths, so each is a scope of its own (see `operation`).
  prefix: '',
  async plugin(app, { ctx }) {
    const { identity, clock, keys, store } = ctx.core;
    await keys.ensureSecret(CHALLENGE_SECRET);
    // The current secret at each use: `keys rotate-hmac` takes effect without a restart.
    const sessions = createChallengeSessions(() => keys.secret(CHALLENGE_SECRET), clock, store);
    const invalidParameter = (reply: FastifyReply, message: string) => cognitoError(reply, 400, 'InvalidParameterException', message);

    /** POST `path`, under its own prefix: other methods and sub-paths answer UnknownOperationException. */
    const operation = (path: string, schema: FastifySchema, handler: RouteHandlerMethod) =>
      app.register(
        async (scope) => {
          useAnswers(scope, answers, ctx.log);
          scope.post('', { schema }, handler);
        },
        { prefix: path },
      );

    /** The /Login success body: the tokens and a reusable refresh token. */
    async function authenticated(user: UserRecord) {
      const { IdToken, TokenType, ExpiresIn, AccessToken } = signCognitoTokens(identity.access, user, unixSeconds(clock));
      const refresh = await identity.refresh.issue(user, DIALECT, { rotating: false, ttlSeconds: REFRESH_TTL });
      return { cognitoToken: { ChallengeParameters: {}, AuthenticationResult: { IdToken, TokenType, ExpiresIn, RefreshToken: refresh.token, AccessToken } } };
    }

    operation('/Login', schemas.login, async (req, reply) => {
      const { UserName, TenantName, Password } = req.body as schemas.LoginBody;
      const address = clientAddress(req);
      let user: UserRecord;
      try {
        user = await identity.users.authenticate({ username: UserName, password: Password, tenantName: TenantName, address, dialect: DIALECT, offersPasswordChange: true });
      } catch (err) {
        if (err instanceof TooManyAttempts) return cognitoError(retryAfter(reply, err.retryAfterSeconds), 429, 'TooManyRequestsException', RATE_EXCEEDED);
        if (err instanceof InvalidCredentials) return cognitoError(reply, 401, 'NotAuthorizedException', BAD_CREDENTIALS);
        if (err instanceof InvalidArgument) return invalidParameter(reply, missingParameter('UserName'));
        throw err;
      }
      const audit = { event: 'login', dialect: DIALECT, username: user.username, tenantId: user.tenantId, address } as const;
      if (user.mustChangePassword) {
        // authenticate may have rehashed the password; the session is bound to the stored hash.
        const current = (await identity.users.active(user.userId)) ?? user;
        await identity.audit({ ...audit, outcome: 'success', detail: `challenge ${NEW_PASSWORD_REQUIRED}` });
        return reply.send({
          cognitoToken: {
            ChallengeName: NEW_PASSWORD_REQUIRED,
            ChallengeParameters: { USER_ID_FOR_SRP: current.username, requiredAttributes: '[]', userAttributes: userAttributes(current) },
            Session: sessions.open(current),
          },
        });
      }
      await identity.audit({ ...audit, outcome: 'success' });
      return reply.send(await authenticated(user));
    });

    operation('/RespondToAuthChallenge', schemas.respondToAuthChallenge, async (req, reply) => {
      const body = req.body as schemas.ChallengeAnswerBody;
      const { USERNAME, NEW_PASSWORD } = body.ChallengeResponses;

      const address = clientAddress(req);
      const found = await sessions.check(body.Session, USERNAME, (userId) => identity.users.active(userId));
      if (!found) {
        await identity.audit({ event: 'password_change', outcome: 'failure', dialect: DIALECT, username: USERNAME.slice(0, 128), address, detail: 'invalid challenge session' });
        return cognitoError(reply, 401, 'NotAuthorizedException', INVALID_SESSION);
      }
      try {
        checkNewPassword(NEW_PASSWORD);
      } catch {
        return cognitoError(reply, 400, 'InvalidPasswordException', PASSWORD_POLICY);
      }
      if (!(await found.take())) return cognitoError(reply, 401, 'NotAuthorizedException', INVALID_SESSION);
      const { user } = found;
      await identity.users.setPassword(user.username, NEW_PASSWORD, { mustChange: false });
      const audit = { dialect: DIALECT, username: user.username, tenantId: user.tenantId, address } as const;
      await identity.audit({ ...audit, event: 'password_change', outcome: 'success', detail: NEW_PASSWORD_REQUIRED });
      await identity.audit({ ...audit, event: 'login', outcome: 'success' });
      return reply.send(await authenticated({ ...user, mustChangePassword: false }));
    });

    operation('/RefreshToken', schemas.refreshToken, async (req, reply) => {
      const body = req.body as schemas.RefreshBody;
      let used;
      try {
        used = await identity.refresh.use(body.RefreshToken, DIALECT, clientAddress(req));
      } catch (err) {
        if (err instanceof InvalidCredentials) return cognitoError(reply, 401, 'NotAuthorizedException', INVALID_REFRESH_TOKEN);
        throw err;
      }
      // auth_time stays the time of the password login, as Cognito keeps it across refreshes.
      const { IdToken, TokenType, ExpiresIn, AccessToken } = signCognitoTokens(identity.access, used.user, used.record.issuedAt);
      return reply.send({ cognitoToken: { ChallengeParameters: {}, AuthenticationResult: { IdToken, TokenType, ExpiresIn, AccessToken } } });
    });
  },
};

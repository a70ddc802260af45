/**
 * Cognito-style login: POST /Login (InitiateAuth's result wrapped in `cognitoToken`), the
 * NEW_PASSWORD_REQUIRED challenge answered at POST /RespondToAuthChallenge, and POST /RefreshToken.
 * The original API has no refresh call of its own; /RefreshToken mirrors Cognito's REFRESH_TOKEN_AUTH
 * (see answers.ts).
 */
import { FastifyInstance } from 'fastify';
import { NEW_PASSWORD_REQUIRED } from '../../../core/identity/challenge-sessions';
import { Dialect, DialectContext } from '../../dialect';
import { clientAddress } from '../../request';
import { authenticated, loginAnswer, PROFILE } from './answers';
import { cognitoBody } from './body';
import { fallback, invalidParameter, missingParameter, sendError, tooMany } from './errors';

export const cognito: Dialect = {
  name: PROFILE.dialect,
  prefixes: ['/Login', '/RespondToAuthChallenge', '/RefreshToken'],
  fallback,
  tooMany,
  register(app: FastifyInstance, ctx: DialectContext) {
    const { identity } = ctx;

    app.post('/Login', async (req, reply) => {
      const body = cognitoBody(req, ['UserName', 'TenantName', 'Password'] as const);
      if (!body.ok) return invalidParameter(reply, body.message);
      const { UserName, TenantName, Password } = body.value;
      try {
        return reply.send(loginAnswer(await identity.loginOrChallenge({ username: UserName, password: Password, tenantName: TenantName, address: clientAddress(req) }, PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });

    app.post('/RespondToAuthChallenge', async (req, reply) => {
      const body = cognitoBody(req, ['ChallengeName', 'Session'] as const);
      if (!body.ok) return invalidParameter(reply, body.message);
      if (body.value.ChallengeName !== NEW_PASSWORD_REQUIRED) return invalidParameter(reply, 'Unsupported ChallengeName.');
      const responses = body.value.ChallengeResponses as Record<string, unknown> | undefined;
      if (typeof responses !== 'object' || responses === null || Array.isArray(responses)) return invalidParameter(reply, missingParameter('ChallengeResponses'));
      const { USERNAME, NEW_PASSWORD } = responses;
      if (typeof USERNAME !== 'string' || USERNAME === '') return invalidParameter(reply, missingParameter('ChallengeResponses.USERNAME'));
      if (typeof NEW_PASSWORD !== 'string' || NEW_PASSWORD === '') return invalidParameter(reply, missingParameter('ChallengeResponses.NEW_PASSWORD'));
      try {
        const answer = { session: body.value.Session, username: USERNAME, newPassword: NEW_PASSWORD, address: clientAddress(req) };
        return reply.send(authenticated(await identity.answerChallenge(answer, PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });

    app.post('/RefreshToken', async (req, reply) => {
      const body = cognitoBody(req, ['RefreshToken'] as const);
      if (!body.ok) return invalidParameter(reply, body.message);
      try {
        return reply.send(authenticated(await identity.refresh(body.value.RefreshToken, clientAddress(req), PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });
  },
};

/**
 * Cognito-style login: POST /Login (InitiateAuth's result wrapped in `cognitoToken`), the
 * NEW_PASSWORD_REQUIRED challenge answered at POST /RespondToAuthChallenge, and POST /RefreshToken.
 * The original API has no refresh call of its own; /RefreshToken mirrors Cognito's REFRESH_TOKEN_AUTH
 * (see answers.ts).
 */
import { FastifySchema, RouteHandlerMethod } from 'fastify';
import { Answers, Dialect } from '../../dialect';
import { clientAddress } from '../../request';
import { useAnswers } from '../../scope-answers';
import { authenticated, loginAnswer, PROFILE } from './answers';
import { fallback, invalidParameter, missingParameter, sendError, tooMany, UNREADABLE_BODY, WRONG_CONTENT_TYPE } from './errors';
import * as schemas from './schemas';

const answers: Answers = {
  fallback,
  tooMany,
  /** Clients send the AWS JSON protocol type as well as plain JSON. */
  jsonTypes: /^application\/(json|x-amz-json-1\.[01])\s*(;|$)/i,
  badInput(reply, input) {
    const message =
      input.problem === 'content-type' ? WRONG_CONTENT_TYPE
      : input.problem === 'unreadable' ? UNREADABLE_BODY
      : input.value ? `Unsupported ${input.field}.`
      : missingParameter(input.field);
    return invalidParameter(reply, message);
  },
};

export const cognito: Dialect = {
  name: PROFILE.dialect,
  // Cognito's operations are top-level paths, so each is a scope of its own (see `operation`).
  prefix: '',
  async plugin(app, { ctx }) {
    const { identity } = ctx;

    /** POST `path`, under its own prefix: other methods and sub-paths answer UnknownOperationException. */
    const operation = (path: string, schema: FastifySchema, handler: RouteHandlerMethod) =>
      app.register(
        async (scope) => {
          useAnswers(scope, answers, ctx.log);
          scope.post('', { schema }, handler);
        },
        { prefix: path },
      );

    operation('/Login', schemas.login, async (req, reply) => {
      const { UserName, TenantName, Password } = req.body as schemas.LoginBody;
      try {
        return reply.send(loginAnswer(await identity.loginOrChallenge({ username: UserName, password: Password, tenantName: TenantName, address: clientAddress(req) }, PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });

    operation('/RespondToAuthChallenge', schemas.respondToAuthChallenge, async (req, reply) => {
      const { Session, ChallengeResponses } = req.body as schemas.ChallengeAnswerBody;
      try {
        const answer = { session: Session, username: ChallengeResponses.USERNAME, newPassword: ChallengeResponses.NEW_PASSWORD, address: clientAddress(req) };
        return reply.send(authenticated(await identity.answerChallenge(answer, PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });

    operation('/RefreshToken', schemas.refreshToken, async (req, reply) => {
      const body = req.body as schemas.RefreshBody;
      try {
        return reply.send(authenticated(await identity.refresh(body.RefreshToken, clientAddress(req), PROFILE)));
      } catch (err) {
        return sendError(reply, err);
      }
    });
  },
};

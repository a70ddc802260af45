/** Cognito style: the route schemas (fastify validates bodies with them; @fastify/swagger documents them). */
import { FastifySchema } from 'fastify';
import { nonEmpty, object } from '../../schema-parts';

export interface LoginBody {
  UserName: string;
  TenantName: string;
  Password: string;
}

export interface ChallengeAnswerBody {
  ChallengeName: 'NEW_PASSWORD_REQUIRED';
  Session: string;
  ChallengeResponses: { USERNAME: string; NEW_PASSWORD: string };
}

export interface RefreshBody {
  RefreshToken: string;
}

const tags = ['cognito'];
/** Cognito clients send the AWS JSON protocol type as well as plain JSON. */
const consumes = ['application/json', 'application/x-amz-json-1.1'];

export const login: FastifySchema = {
  tags,
  consumes,
  operationId: 'cognitoLogin',
  summary: 'Log in (USER_PASSWORD_AUTH); answers tokens or a NEW_PASSWORD_REQUIRED challenge.',
  body: object({ UserName: nonEmpty(), TenantName: nonEmpty(), Password: nonEmpty() }),
};

export const respondToAuthChallenge: FastifySchema = {
  tags,
  consumes,
  operationId: 'cognitoRespondToAuthChallenge',
  summary: 'Answer NEW_PASSWORD_REQUIRED with a new password; answers tokens.',
  body: object({
    ChallengeName: nonEmpty('The only challenge this gateway sets.', { const: 'NEW_PASSWORD_REQUIRED' }),
    Session: nonEmpty('The Session of the challenge (3 minutes, single use).'),
    ChallengeResponses: object({ USERNAME: nonEmpty(), NEW_PASSWORD: nonEmpty('Password policy: 8 to 1024 characters (else InvalidPasswordException).') }),
  }),
};

export const refreshToken: FastifySchema = {
  tags,
  consumes,
  operationId: 'cognitoRefreshToken',
  summary: 'REFRESH_TOKEN_AUTH: new ID and access tokens; the refresh token is kept (no new one).',
  body: object({ RefreshToken: nonEmpty() }),
};

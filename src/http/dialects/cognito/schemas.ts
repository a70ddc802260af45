/** Cognito style: the route schemas (fastify validates bodies with them; @fastify/swagger documents them). */
import { FastifySchema } from 'fastify';
import { answer, JsonSchema, nonEmpty, object, RETRY_AFTER, text } from '../../schema-parts';

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

const ERROR_TYPE: Record<string, JsonSchema> = { 'x-amzn-errortype': { type: 'string', description: 'The error type, as AWS SDKs read it first.' } };
const errorBody = object(
  {
    __type: {
      type: 'string',
      enum: ['NotAuthorizedException', 'TooManyRequestsException', 'InvalidParameterException', 'InvalidPasswordException', 'UnknownOperationException', 'InternalErrorException', 'ServiceUnavailable'],
    },
    message: text(),
  },
  [],
  { examples: [{ __type: 'NotAuthorizedException', message: 'Incorrect username or password.' }] },
);
const error = (description: string, headers: Record<string, JsonSchema> = {}) => answer(description, errorBody, { headers: { ...ERROR_TYPE, ...headers } });

const authenticationResult = (withRefresh: boolean) =>
  object({
    IdToken: text('ES256 JWT: sub, aud, token_use="id", cognito:username, cognito:groups, auth_time, custom:tenant, tenant, iss, jti.'),
    TokenType: { const: 'Bearer' },
    ExpiresIn: { type: 'integer', description: 'Seconds (3600).' },
    ...(withRefresh ? { RefreshToken: text('Opaque; reusable until it expires (30 days) or is revoked.') } : {}),
    AccessToken: text('ES256 JWT: token_use="access", client_id, scope, username, auth_time, tenant, jti.'),
  });
const tokens = object({ cognitoToken: object({ ChallengeParameters: object({}), AuthenticationResult: authenticationResult(true) }) });
const challenge = object({
  cognitoToken: object({
    ChallengeName: { const: 'NEW_PASSWORD_REQUIRED' },
    ChallengeParameters: object({ USER_ID_FOR_SRP: text(), requiredAttributes: text('JSON array, as a string.'), userAttributes: text('JSON object, as a string.') }),
    Session: text(),
  }),
});

const common = {
  400: error('InvalidParameterException: wrong content type, unreadable body, missing or invalid parameter.'),
  404: error('UnknownOperationException: unknown route.'),
  413: error('InvalidParameterException: body over 64 KiB.'),
  429: error('TooManyRequestsException: too many failed requests from this address.', RETRY_AFTER),
};

export const login: FastifySchema = {
  tags,
  consumes,
  operationId: 'cognitoLogin',
  summary: 'Log in (USER_PASSWORD_AUTH); answers tokens or a NEW_PASSWORD_REQUIRED challenge.',
  body: object({ UserName: nonEmpty(), TenantName: nonEmpty(), Password: nonEmpty() }),
  response: {
    200: answer('Tokens, or a challenge without AuthenticationResult.', { oneOf: [tokens, challenge] }),
    ...common,
    401: error('NotAuthorizedException "Incorrect username or password." (identical for an unknown user or another tenant).'),
    429: error('TooManyRequestsException: locked out, or too many failed requests from this address.', RETRY_AFTER),
  },
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
  response: {
    200: answer('Tokens.', tokens),
    ...common,
    400: error('InvalidParameterException (bad input) or InvalidPasswordException (password policy).'),
    401: error('NotAuthorizedException: invalid, expired or spent session.'),
  },
};

export const refreshToken: FastifySchema = {
  tags,
  consumes,
  operationId: 'cognitoRefreshToken',
  summary: 'REFRESH_TOKEN_AUTH: new ID and access tokens; the refresh token is kept (no new one).',
  body: object({ RefreshToken: nonEmpty() }),
  response: {
    200: answer('New ID and access tokens.', object({ cognitoToken: object({ ChallengeParameters: object({}), AuthenticationResult: authenticationResult(false) }) })),
    ...common,
    401: error('NotAuthorizedException "Invalid Refresh Token".'),
  },
};

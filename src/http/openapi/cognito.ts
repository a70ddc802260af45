/** Cognito style: POST /Login, POST /RespondToAuthChallenge, POST /RefreshToken (InitiateAuth's shapes). */
import { Components, Header, json, object, PathItem, ref, Response, RETRY_AFTER, string } from './types';

const TYPES = ['application/json', 'application/x-amz-json-1.1'];
const ERROR_TYPE: Record<string, Header> = { 'x-amzn-errortype': { description: 'The error type, as AWS SDKs read it first.', schema: { type: 'string' } } };
const error = (description: string, extraHeaders: Record<string, Header> = {}): Response => ({
  description,
  headers: { ...ERROR_TYPE, ...extraHeaders },
  content: json('CognitoError'),
});

const authenticationResult = (withRefresh: boolean) =>
  object(
    {
      IdToken: string('ES256 JWT: sub, aud, token_use="id", cognito:username, cognito:groups, auth_time, custom:tenant, tenant, iss, jti.'),
      TokenType: { const: 'Bearer' },
      ExpiresIn: { type: 'integer', description: 'Seconds (3600).' },
      ...(withRefresh ? { RefreshToken: string('Opaque; reusable until it expires (30 days) or is revoked.') } : {}),
      AccessToken: string('ES256 JWT: token_use="access", client_id, scope, username, auth_time, tenant, jti.'),
    },
  );

export const cognitoSchemas: Components['schemas'] = {
  CognitoError: {
    ...object({
      __type: { type: 'string', enum: ['NotAuthorizedException', 'TooManyRequestsException', 'InvalidParameterException', 'InvalidPasswordException', 'UnknownOperationException', 'InternalErrorException'] },
      message: string(),
    }),
    examples: [{ __type: 'NotAuthorizedException', message: 'Incorrect username or password.' }],
  },
  CognitoLogin: object({ UserName: string(), TenantName: string(), Password: string() }),
  CognitoChallengeAnswer: object({
    ChallengeName: { const: 'NEW_PASSWORD_REQUIRED' },
    Session: string('The Session of the challenge (3 minutes, single use).'),
    ChallengeResponses: object({ USERNAME: string(), NEW_PASSWORD: string(undefined, { minLength: 8 }) }),
  }),
  CognitoRefresh: object({ RefreshToken: string() }),
  CognitoTokens: object({ cognitoToken: object({ ChallengeParameters: object({}), AuthenticationResult: authenticationResult(true) }) }),
  CognitoChallenge: object({
    cognitoToken: object({
      ChallengeName: { const: 'NEW_PASSWORD_REQUIRED' },
      ChallengeParameters: object({ USER_ID_FOR_SRP: string(), requiredAttributes: string('JSON array, as a string.'), userAttributes: string('JSON object, as a string.') }),
      Session: string(),
    }),
  }),
  CognitoRefreshed: object({ cognitoToken: object({ ChallengeParameters: object({}), AuthenticationResult: authenticationResult(false) }) }),
};

const common = {
  '400': error('InvalidParameterException: wrong content type, unreadable body, missing or invalid parameter.'),
  '404': error('UnknownOperationException: unknown route.'),
  '413': error('InvalidParameterException: body over 64 KiB.'),
  '429': error('TooManyRequestsException: too many failed requests from this address.', RETRY_AFTER),
};

export const cognitoPaths: Record<string, PathItem> = {
  '/Login': {
    post: {
      tags: ['cognito'],
      operationId: 'cognitoLogin',
      summary: 'Log in (USER_PASSWORD_AUTH); answers tokens or a NEW_PASSWORD_REQUIRED challenge.',
      requestBody: { required: true, content: json('CognitoLogin', TYPES) },
      responses: {
        '200': { description: 'Tokens, or a challenge without AuthenticationResult.', content: json({ oneOf: [ref('CognitoTokens'), ref('CognitoChallenge')] }) },
        ...common,
        '401': error('NotAuthorizedException "Incorrect username or password." (identical for an unknown user or another tenant).'),
        '429': error('TooManyRequestsException: locked out, or too many failed requests from this address.', RETRY_AFTER),
      },
    },
  },
  '/RespondToAuthChallenge': {
    post: {
      tags: ['cognito'],
      operationId: 'cognitoRespondToAuthChallenge',
      summary: 'Answer NEW_PASSWORD_REQUIRED with a new password; answers tokens.',
      requestBody: { required: true, content: json('CognitoChallengeAnswer', TYPES) },
      responses: {
        '200': { description: 'Tokens.', content: json('CognitoTokens') },
        ...common,
        '400': error('InvalidParameterException (bad input) or InvalidPasswordException (password policy).'),
        '401': error('NotAuthorizedException: invalid, expired or spent session.'),
      },
    },
  },
  '/RefreshToken': {
    post: {
      tags: ['cognito'],
      operationId: 'cognitoRefreshToken',
      summary: 'REFRESH_TOKEN_AUTH: new ID and access tokens; the refresh token is kept (no new one).',
      requestBody: { required: true, content: json('CognitoRefresh', TYPES) },
      responses: {
        '200': { description: 'New ID and access tokens.', content: json('CognitoRefreshed') },
        ...common,
        '401': error('NotAuthorizedException "Invalid Refresh Token".'),
      },
    },
  },
};

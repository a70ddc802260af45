/** For resource servers: the route schemas of the JWKS, RFC 7662 introspection, RFC 7009 revocation, and the OpenAPI document. */
import { FastifySchema } from 'fastify';
import { answer, nonEmpty, object, text } from './schema-parts';

export interface TokenForm {
  token: string;
}

const tags = ['tokens'];
const FORM = 'application/x-www-form-urlencoded';

const oauthError = object({ error: text(), error_description: text() }, ['error_description']);
const bridgeError = object({ error: { type: 'string', enum: ['not_found', 'body_too_large', 'invalid_request', 'server_error', 'temporarily_unavailable'] } }, [], {
  description: 'Outside every dialect’s prefixes: unknown routes and unreadable requests. Never a stack trace.',
});
const invalidClient = answer('No, unknown or wrong client credentials (HTTP Basic).', oauthError, {
  headers: { 'WWW-Authenticate': { type: 'string', description: 'Basic realm="master-gateway"' } },
});
/** Both endpoints take the token as a urlencoded form; the client's credentials are checked before it. */
const tokenForm = object({ token: nonEmpty(), token_type_hint: text('access_token or refresh_token; a hint only.') }, ['token_type_hint']);

export const jwks: FastifySchema = {
  tags,
  operationId: 'jwks',
  summary: 'The public ES256 keys that verify every access token the bridge issues.',
  response: {
    200: answer(
      'The key set (cacheable for 300 s).',
      object({
        keys: {
          type: 'array',
          items: object(
            { kty: { const: 'EC' }, crv: { const: 'P-256' }, x: text(), y: text(), kid: text("The first 16 characters of the key's RFC 7638 thumbprint."), alg: { const: 'ES256' }, use: { const: 'sig' } },
            [],
            { description: 'Public keys only.', additionalProperties: false },
          ),
        },
      }),
    ),
  },
};

export const introspect: FastifySchema = {
  tags,
  operationId: 'introspect',
  summary: 'RFC 7662: is this access or refresh token live, and whose is it?',
  security: [{ introspectionClient: [] }],
  consumes: [FORM],
  body: tokenForm,
  response: {
    200: answer('The answer.', {
      oneOf: [
        object(
          {
            active: { const: true },
            token_type: { type: 'string', enum: ['access_token', 'refresh_token', 'id_token'] },
            sub: text(),
            username: text(),
            tenant: text('Every token names its tenant.'),
            iss: text(),
            iat: { type: 'integer' },
            exp: { type: 'integer' },
            jti: text(),
            client_id: text('The introspecting client.'),
            cnf: object({ 'x5t#S256': text('SHA-256 of the client certificate, base64url.') }, [], { description: 'RFC 8705 §3.2: the certificate a gRPC token is bound to (gRPC tokens only).' }),
          },
          ['username', 'iss', 'jti', 'client_id', 'cnf'],
        ),
        object({ active: { const: false } }, [], {
          additionalProperties: false,
          description: 'Unknown, garbage, expired, revoked, spent, or its user is gone; for a gRPC token also: its certificate blacklisted or its tenant deleted.',
        }),
      ],
    }),
    400: answer('No token (or not a urlencoded form).', oauthError),
    401: invalidClient,
    404: answer('Unknown route.', bridgeError),
    413: answer('Body over 64 KiB.', bridgeError),
  },
};

export const revoke: FastifySchema = {
  tags,
  operationId: 'revoke',
  summary: 'RFC 7009: revoke an access token, or a refresh token with its whole family (clients in GATEWAY_REVOCATION_CLIENTS only).',
  security: [{ introspectionClient: [] }],
  consumes: [FORM],
  body: tokenForm,
  response: {
    200: answer('Done; the same answer whether or not the token was known (an invalid token too). Empty body.'),
    400: answer('No token (invalid_request), or a live token this client may not revoke (unauthorized_client, RFC 7009 §2.1): it stays in force.', oauthError),
    401: invalidClient,
  },
};

export const openapi: FastifySchema = {
  tags,
  operationId: 'openapi',
  summary: 'This document.',
  response: { 200: answer('OpenAPI 3.1, generated from the route schemas.', { type: 'object' }) },
};

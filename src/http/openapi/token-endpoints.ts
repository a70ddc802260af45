/** For resource servers: the JWKS, RFC 7662 introspection, RFC 7009 revocation; and this document. */
import { Components, json, object, PathItem, Response, string } from './types';

const FORM = 'application/x-www-form-urlencoded';
const tokenForm = object({ token: string(), token_type_hint: { type: 'string', enum: ['access_token', 'refresh_token'] } }, ['token_type_hint']);
const invalidClient: Response = {
  description: 'No, unknown or wrong client credentials (HTTP Basic).',
  headers: { 'WWW-Authenticate': { description: 'Basic realm="master-gateway"', schema: { type: 'string' } } },
  content: json('OAuthError'),
};
const invalidRequest: Response = { description: 'No token (or not a urlencoded form).', content: json('OAuthError') };

export const tokenSchemas: Components['schemas'] = {
  Jwks: object({
    keys: {
      type: 'array',
      items: object(
        { kty: { const: 'EC' }, crv: { const: 'P-256' }, x: string(), y: string(), kid: string('The first 16 characters of the key\'s RFC 7638 thumbprint.'), alg: { const: 'ES256' }, use: { const: 'sig' } },
        [],
        { description: 'Public keys only.', additionalProperties: false },
      ),
    },
  }),
  Introspection: {
    oneOf: [
      object(
        {
          active: { const: true },
          token_type: { type: 'string', enum: ['access_token', 'refresh_token'] },
          sub: string(),
          username: string(),
          tenant: string('Every token names its tenant.'),
          iss: string(),
          iat: { type: 'integer' },
          exp: { type: 'integer' },
          jti: string(),
          client_id: string('The introspecting client.'),
          cnf: object({ 'x5t#S256': string('SHA-256 of the client certificate, base64url.') }, [], {
            description: 'RFC 8705 §3.2: the certificate a gRPC token is bound to (gRPC tokens only).',
          }),
        },
        ['username', 'iss', 'jti', 'client_id', 'cnf'],
      ),
      object({ active: { const: false } }, [], {
        additionalProperties: false,
        description: 'Unknown, garbage, expired, revoked, spent, or its user is gone; for a gRPC token also: its certificate blacklisted or its tenant deleted.',
      }),
    ],
  },
  OAuthError: object({ error: string(), error_description: string() }, ['error_description']),
  BridgeError: object(
    { error: { type: 'string', enum: ['not_found', 'body_too_large', 'invalid_request', 'server_error'] } },
    [],
    { description: 'Outside every dialect’s prefixes: unknown routes and unreadable requests. Never a stack trace.' },
  ),
};

export const tokenPaths: Record<string, PathItem> = {
  '/.well-known/jwks.json': {
    get: {
      tags: ['tokens'],
      operationId: 'jwks',
      summary: 'The public ES256 keys that verify every access token the bridge issues.',
      responses: { '200': { description: 'The key set (cacheable for 300 s).', content: json('Jwks') } },
    },
  },
  '/oauth2/introspect': {
    post: {
      tags: ['tokens'],
      operationId: 'introspect',
      summary: 'RFC 7662: is this access or refresh token live, and whose is it?',
      security: [{ introspectionClient: [] }],
      requestBody: { required: true, content: { [FORM]: { schema: tokenForm } } },
      responses: {
        '200': { description: 'The answer.', content: json('Introspection') },
        '400': invalidRequest,
        '401': invalidClient,
        '404': { description: 'Unknown route.', content: json('BridgeError') },
        '413': { description: 'Body over 64 KiB.', content: json('BridgeError') },
      },
    },
  },
  '/oauth2/revoke': {
    post: {
      tags: ['tokens'],
      operationId: 'revoke',
      summary: 'RFC 7009: revoke an access token, or a refresh token with its whole family (clients in GATEWAY_REVOCATION_CLIENTS only).',
      security: [{ introspectionClient: [] }],
      requestBody: { required: true, content: { [FORM]: { schema: tokenForm } } },
      responses: {
        '200': { description: 'Done; the same answer whether or not the token was known (an invalid token too). Empty body.' },
        '400': {
          description: 'No token (invalid_request), or a live token this client may not revoke (unauthorized_client, RFC 7009 §2.1): it stays in force.',
          content: json('OAuthError'),
        },
        '401': invalidClient,
      },
    },
  },
  '/openapi.json': {
    get: {
      tags: ['tokens'],
      operationId: 'openapi',
      summary: 'This document.',
      responses: { '200': { description: 'OpenAPI 3.1.', content: json({ type: 'object' }) } },
    },
  },
};

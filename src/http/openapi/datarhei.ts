/** datarhei Core style: POST /api/login, GET /api/login/refresh, GET /api. */
import { Components, json, object, PathItem, Response, RETRY_AFTER, string } from './types';

const error = (description: string): Response => ({ description, content: json('DatarheiError') });

export const datarheiSchemas: Components['schemas'] = {
  DatarheiError: {
    ...object({
      code: { type: 'integer', description: 'The HTTP status again.' },
      message: string('The HTTP status text, e.g. "Unauthorized".'),
      details: { type: 'array', items: { type: 'string' }, description: 'Always an array (the Python client parses every error this way).' },
    }),
    examples: [{ code: 401, message: 'Unauthorized', details: ['Invalid authorization credentials: invalid username or password'] }],
  },
  DatarheiLogin: object({ username: string(undefined, { minLength: 1 }), password: string(undefined, { minLength: 1 }) }, [], {
    description: 'Extra fields are ignored.',
  }),
  DatarheiTokens: object({
    access_token: string('ES256 JWT, 600 s. Claims: sub, tenant, uid, usefor="access", exi=600, iss, iat, exp, jti.'),
    refresh_token: string('ES256 JWT, 86,400 s, usefor="refresh"; reusable until it expires or is revoked.'),
  }),
  DatarheiAccess: object({ access_token: string('A new access token (usefor="access").') }),
  DatarheiAbout: object(
    {
      app: { const: 'datarhei-core' },
      auths: { type: 'array', items: { type: 'string', enum: ['localjwt', 'auth0'] }, description: '"localjwt" first: the Go client reads only auths[0].' },
      version: object({ number: string('16.x.y', { pattern: '^16\\.' }) }, [], { additionalProperties: true }),
      name: string('Only with a valid access token.'),
      id: string('Only with a valid access token: non-empty, so clients know they are logged in.', { minLength: 1 }),
      created_at: string('Only with a valid access token.', { format: 'date-time' }),
      uptime_seconds: { type: 'integer', description: 'Only with a valid access token.' },
    },
    ['name', 'id', 'created_at', 'uptime_seconds'],
  ),
};

export const datarheiPaths: Record<string, PathItem> = {
  '/api/login': {
    post: {
      tags: ['datarhei'],
      operationId: 'datarheiLogin',
      summary: 'Log in with username and password, or with an external IdP token and no body.',
      security: [{}, { externalIdpToken: [] }],
      requestBody: { required: false, description: 'Absent for the external IdP login (Authorization: Bearer <IdP token>).', content: json('DatarheiLogin') },
      responses: {
        '200': { description: 'Tokens.', content: json('DatarheiTokens') },
        '400': error('Missing or empty fields, malformed JSON, wrong types, empty body or another content type: details ["Missing authorization credentials"].'),
        '401': error('Wrong username or password (identical for an unknown user), or an external token refused (details name the reason).'),
        '404': error('Unknown route under /api.'),
        '413': error('Body over 64 KiB.'),
        '429': { ...error('Locked out after too many failures.'), headers: RETRY_AFTER },
      },
    },
  },
  '/api/login/refresh': {
    get: {
      tags: ['datarhei'],
      operationId: 'datarheiRefresh',
      summary: 'A new access token for a refresh token; the refresh token stays valid (clients keep it for 24 h).',
      security: [{ refreshBearer: [] }],
      responses: {
        '200': { description: 'A new access token.', content: json('DatarheiAccess') },
        '401': error('Missing, garbage, expired, revoked, or an access token given: details ["Missing or invalid JWT token"].'),
      },
    },
  },
  '/api': {
    get: {
      tags: ['datarhei'],
      operationId: 'datarheiAbout',
      summary: 'About this server; with a valid access token it also names the instance (`id`).',
      security: [{}, { accessBearer: [] }],
      responses: { '200': { description: 'About.', content: json('DatarheiAbout') } },
    },
  },
};

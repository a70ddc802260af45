/** datarhei Core style: the route schemas (fastify validates bodies with them; @fastify/swagger documents them). */
import { FastifySchema } from 'fastify';
import { answer, JsonSchema, nonEmpty, object, RETRY_AFTER, text } from '../../schema-parts';

export interface LoginBody {
  username: string;
  password: string;
}

const tags = ['datarhei'];

const errorBody = object(
  {
    code: { type: 'integer', description: 'The HTTP status again.' },
    message: text('The HTTP status text, e.g. "Unauthorized".'),
    details: { type: 'array', items: { type: 'string' }, description: 'Always an array (the Python client parses every error this way).' },
  },
  [],
  { examples: [{ code: 401, message: 'Unauthorized', details: ['Invalid authorization credentials: invalid username or password'] }] },
);
const error = (description: string, headers?: Record<string, JsonSchema>) => answer(description, errorBody, { headers });

export const login: FastifySchema = {
  tags,
  operationId: 'datarheiLogin',
  summary: 'Log in with username and password, or with an external IdP token and no body.',
  security: [{}, { externalIdpToken: [] }],
  body: object({ username: nonEmpty(), password: nonEmpty() }, [], {
    description: 'Extra fields are ignored. Absent for the external IdP login (Authorization: Bearer <IdP token>).',
  }),
  response: {
    200: answer(
      'Tokens.',
      object({
        access_token: text('ES256 JWT, 600 s. Claims: sub, tenant, uid, usefor="access", exi=600, iss, iat, exp, jti.'),
        refresh_token: text('ES256 JWT, 86,400 s, usefor="refresh"; reusable until it expires or is revoked.'),
      }),
    ),
    400: error('Missing or empty fields, malformed JSON, wrong types, empty body or another content type: details ["Missing authorization credentials"].'),
    401: error('Wrong username or password (identical for an unknown user), or an external token refused (details name the reason).'),
    404: error('Unknown route under /api.'),
    413: error('Body over 64 KiB.'),
    429: error('Locked out after too many failures.', RETRY_AFTER),
  },
};

export const refresh: FastifySchema = {
  tags,
  operationId: 'datarheiRefresh',
  summary: 'A new access token for a refresh token; the refresh token stays valid (clients keep it for 24 h).',
  security: [{ refreshBearer: [] }],
  response: {
    200: answer('A new access token.', object({ access_token: text('A new access token (usefor="access").') })),
    401: error('Missing, garbage, expired, revoked, or an access token given: details ["Missing or invalid JWT token"].'),
  },
};

export const about: FastifySchema = {
  tags,
  operationId: 'datarheiAbout',
  summary: 'About this server; with a valid access token it also names the instance (`id`).',
  security: [{}, { accessBearer: [] }],
  response: {
    200: answer(
      'About.',
      object(
        {
          app: { const: 'datarhei-core' },
          auths: { type: 'array', items: { type: 'string', enum: ['localjwt', 'auth0'] }, description: '"localjwt" first: the Go client reads only auths[0].' },
          version: object({ number: text('16.x.y', { pattern: '^16\\.' }) }, [], { additionalProperties: true }),
          name: text('Only with a valid access token.'),
          id: text('Only with a valid access token: non-empty, so clients know they are logged in.', { minLength: 1 }),
          created_at: text('Only with a valid access token.', { format: 'date-time' }),
          uptime_seconds: { type: 'integer', description: 'Only with a valid access token.' },
        },
        ['name', 'id', 'created_at', 'uptime_seconds'],
      ),
    ),
  },
};

/** EDR mobile style: the route schemas (fastify validates bodies with them; @fastify/swagger documents them). */
import { FastifySchema } from 'fastify';
import { answer, JsonSchema, nonEmpty, object, RETRY_AFTER, text } from '../../schema-parts';

export interface CredentialsBody {
  username: string;
  password: string;
}

export interface LoginBody extends CredentialsBody {
  jwt: string;
}

export interface RefreshBody {
  refreshToken: string;
}

const tags = ['edr'];

const timestamp = text('When the answer was made (ISO 8601).', { format: 'date-time' });
const envelope = (response: Record<string, JsonSchema>, data: JsonSchema) =>
  object({ response: object({ code: { type: 'integer', description: 'The HTTP status again.' }, timestamp, ...response }), data });
const errorBody = envelope({ message: text() }, { type: 'null' });
const error = (code: number, description: string, message: string, headers?: Record<string, JsonSchema>) =>
  answer(description, { ...errorBody, examples: [{ response: { code, timestamp: '2026-01-01T00:00:00.000Z', message }, data: null }] }, { headers });

const tokens = {
  accessToken: text('ES256 JWT, header typ "access" (FeathersJS style), 3600 s; claims sub (= _id), uid, tenant, username, iss, iat, exp, jti.'),
  refreshToken: text('Opaque, single use (our addition; old clients ignore it): each refresh returns the next; reusing a spent one revokes the family.'),
};
const user = object({
  aid: text('The EDR account: the tenant.'),
  firstName: text(),
  lastName: text(),
  username: text(),
  email: text(),
  cid: text('The tenant.'),
  name: text('"firstName lastName".'),
  fromMobile: { const: true },
  edrAccount: text('The tenant.'),
  _id: text('The userId.'),
});

const locked = error(429, 'Locked out after too many failures, or too many failed requests from this address.', 'Too many failed login attempts, retry later', RETRY_AFTER);
const common = {
  400: error(400, 'Wrong content type, malformed JSON, wrong types or missing fields.', 'username and password are required strings'),
  404: error(404, 'Unknown route under /mobile.', 'Not found'),
  413: error(413, 'Body over 64 KiB.', 'Request body is too large'),
  429: locked,
};
const passwordChange = error(403, 'The password must be changed first.', 'Password change required: set a new password first');

export const accountStep: FastifySchema = {
  tags,
  operationId: 'edrAccountStep',
  summary: 'Account step: the account credentials for a short-lived mobile JWT bound to that account.',
  body: object({ username: nonEmpty(), password: nonEmpty() }),
  response: {
    200: answer('The mobile JWT.', envelope({ type: { const: 'jwt' } }, text('HS256 JWT, 300 s, aud "edr-mobile", sub = the account (userId); read back only by this gateway.'))),
    ...common,
    401: error(401, 'Wrong username or password (identical for an unknown user).', 'Invalid login'),
    403: passwordChange,
  },
};

export const login: FastifySchema = {
  tags,
  operationId: 'edrLogin',
  summary: 'Login: credentials plus the mobile JWT of the same account; answers the access token and the user.',
  body: object({ username: nonEmpty(), password: nonEmpty(), jwt: nonEmpty('The mobile JWT of the account step; must be for the same account.') }),
  response: {
    200: answer('The session.', envelope({}, object({ ...tokens, user }))),
    ...common,
    401: error(401, 'Wrong credentials, or a mobile JWT that is forged, not HS256, expired or for another account.', 'Invalid login'),
    403: passwordChange,
  },
};

export const refresh: FastifySchema = {
  tags,
  operationId: 'edrRefresh',
  summary: 'Our addition (the original has none): spend a refresh token for a new access token and the next refresh token.',
  body: object({ refreshToken: nonEmpty() }),
  response: {
    200: answer('New tokens.', envelope({}, object(tokens))),
    ...common,
    401: error(401, 'Invalid, expired, revoked or already spent (the family is then revoked).', 'Invalid refresh token'),
  },
};

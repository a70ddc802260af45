/** EDR mobile style: POST /mobile/v1/auth/edr, /login, and /refresh (our addition). */
import { Components, json, object, PathItem, ref, Response, RETRY_AFTER, Schema, string } from './types';

const timestamp = string('When the answer was made (ISO 8601).', { format: 'date-time' });
const envelope = (response: Record<string, Schema>, data: Schema, optional: string[] = []): Schema =>
  object({ response: object({ code: { type: 'integer', description: 'The HTTP status again.' }, timestamp, ...response }, optional), data });
const error = (code: number, description: string, message: string): Response => ({
  description,
  content: { 'application/json': { schema: ref('EdrError'), example: { response: { code, timestamp: '2026-01-01T00:00:00.000Z', message }, data: null } } },
});

const tokens = {
  accessToken: string('ES256 JWT, header typ "access" (FeathersJS style), 3600 s; claims sub (= _id), uid, tenant, username, iss, iat, exp, jti.'),
  refreshToken: string('Opaque, single use (our addition; old clients ignore it): each refresh returns the next; reusing a spent one revokes the family.'),
};

export const edrSchemas: Components['schemas'] = {
  EdrError: envelope({ message: string() }, { type: 'null' }),
  EdrCredentials: object({ username: string(undefined, { minLength: 1 }), password: string(undefined, { minLength: 1 }) }),
  EdrLogin: object({
    username: string(undefined, { minLength: 1 }),
    password: string(undefined, { minLength: 1 }),
    jwt: string('The mobile JWT of the account step; must be for the same account.', { minLength: 1 }),
  }),
  EdrRefresh: object({ refreshToken: string(undefined, { minLength: 1 }) }),
  EdrMobileJwt: envelope({ type: { const: 'jwt' } }, string('HS256 JWT, 300 s, aud "edr-mobile", sub = the account (userId); read back only by this gateway.')),
  EdrUser: object({
    aid: string('The EDR account: the tenant.'),
    firstName: string(),
    lastName: string(),
    username: string(),
    email: string(),
    cid: string('The tenant.'),
    name: string('"firstName lastName".'),
    fromMobile: { const: true },
    edrAccount: string('The tenant.'),
    _id: string('The userId.'),
  }),
  EdrSession: envelope({}, object({ ...tokens, user: ref('EdrUser') })),
  EdrRefreshed: envelope({}, object(tokens)),
};

const locked: Response = { ...error(429, 'Locked out after too many failures, or too many failed requests from this address.', 'Too many failed login attempts, retry later'), headers: RETRY_AFTER };
const common = {
  '400': error(400, 'Wrong content type, malformed JSON, wrong types or missing fields.', 'username and password are required strings'),
  '404': error(404, 'Unknown route under /mobile.', 'Not found'),
  '413': error(413, 'Body over 64 KiB.', 'Request body is too large'),
  '429': locked,
};

export const edrPaths: Record<string, PathItem> = {
  '/mobile/v1/auth/edr': {
    post: {
      tags: ['edr'],
      operationId: 'edrAccountStep',
      summary: 'Account step: the account credentials for a short-lived mobile JWT bound to that account.',
      requestBody: { required: true, content: json('EdrCredentials') },
      responses: {
        '200': { description: 'The mobile JWT.', content: json('EdrMobileJwt') },
        ...common,
        '401': error(401, 'Wrong username or password (identical for an unknown user).', 'Invalid login'),
        '403': error(403, 'The password must be changed first.', 'Password change required: set a new password first'),
        '429': locked,
      },
    },
  },
  '/mobile/v1/auth/login': {
    post: {
      tags: ['edr'],
      operationId: 'edrLogin',
      summary: 'Login: credentials plus the mobile JWT of the same account; answers the access token and the user.',
      requestBody: { required: true, content: json('EdrLogin') },
      responses: {
        '200': { description: 'The session.', content: json('EdrSession') },
        ...common,
        '401': error(401, 'Wrong credentials, or a mobile JWT that is forged, not HS256, expired or for another account.', 'Invalid login'),
        '403': error(403, 'The password must be changed first.', 'Password change required: set a new password first'),
        '429': locked,
      },
    },
  },
  '/mobile/v1/auth/refresh': {
    post: {
      tags: ['edr'],
      operationId: 'edrRefresh',
      summary: 'Our addition (the original has none): spend a refresh token for a new access token and the next refresh token.',
      requestBody: { required: true, content: json('EdrRefresh') },
      responses: {
        '200': { description: 'New tokens.', content: json('EdrRefreshed') },
        ...common,
        '401': error(401, 'Invalid, expired, revoked or already spent (the family is then revoked).', 'Invalid refresh token'),
      },
    },
  },
};

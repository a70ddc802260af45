/** Monogoto style: the route schemas (fastify validates bodies with them; @fastify/swagger documents them). */
import { FastifySchema } from 'fastify';
import { answer, nonEmpty, object, RETRY_AFTER, text } from '../../schema-parts';

export interface LoginBody {
  UserName: string;
  Password: string;
}

export interface RefreshBody {
  refreshToken: string;
}

const tags = ['monogoto'];
const plain = (body: string, description: string, headers?: typeof RETRY_AFTER) => answer(description, { const: body }, { types: ['text/plain'], headers });
const millis = { type: 'integer', description: 'Unix milliseconds.' };
const DENIED_TOO = 'Under /Auth, unreadable or oversized requests and unknown routes are denied the same way.';

export const login: FastifySchema = {
  tags,
  operationId: 'monogotoAuth',
  summary: 'Log in; answers the session, the user and the permissions of their profile.',
  body: object({ UserName: nonEmpty(), Password: nonEmpty() }),
  response: {
    200: answer(
      'The session.',
      object({
        token: text('ES256 JWT access token (3600 s) naming the tenant; later calls send Authorization: Bearer <token>.'),
        refreshToken: text('Opaque, single use (7 days): each refresh returns the next; reusing a spent one revokes the family.'),
        CustomerId: text('The tenant.'),
        UserId: text(),
        UserName: text(),
        Role: text(),
        Realm: text('The tenant.'),
        OrganizationId: text('The tenant.'),
        AccountSettings: object({ TwoFactorAuthentication: { type: 'boolean' } }),
        ThingsGroupIds: { type: 'array', items: { type: 'string' } },
        UserProfile: object({
          Permissions: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } }, description: 'Resource → verbs ("view", "edit", "delete"), from the user’s role.' },
          DateCreated: millis,
          Name: text('The role.'),
          Realm: text(),
          Type: { const: 'USER_PROFILE' },
          UserProfileId: text(),
          DateModified: millis,
          cas: { type: 'integer', description: 'A version that changes on every write.' },
        }),
      }),
    ),
    404: plain('Access denied', `Every failed login, whatever went wrong (an unknown user answers like a wrong password). ${DENIED_TOO}`),
    429: plain('Too Many Requests', 'Locked out after too many failures.', RETRY_AFTER),
  },
};

export const refresh: FastifySchema = {
  tags,
  operationId: 'monogotoRefresh',
  summary: 'Spend a refresh token for a new access token and the next refresh token.',
  body: object({ refreshToken: nonEmpty('The refresh token of the last login or refresh; single use.') }),
  response: {
    200: answer('New tokens.', object({ token: text('A new access token.'), refreshToken: text('The next refresh token of the family.') })),
    401: plain('Access denied', 'Invalid, expired, revoked or already spent refresh token (a spent one revokes its family).'),
    404: plain('Access denied', `No refreshToken. ${DENIED_TOO}`),
  },
};

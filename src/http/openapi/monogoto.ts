/** Monogoto style: POST /Auth, POST /Auth/Refresh (rotating refresh tokens, as the newer API). */
import { Components, json, object, PathItem, Response, RETRY_AFTER, string } from './types';

const text = (body: string, description: string): Response => ({ description, content: { 'text/plain': { schema: { const: body } } } });
const millis = { type: 'integer' as const, description: 'Unix milliseconds.' };
const DENIED_TOO = 'Under /Auth, unreadable or oversized requests and unknown routes are denied the same way.';

export const monogotoSchemas: Components['schemas'] = {
  MonogotoLogin: object({ UserName: string(), Password: string() }),
  MonogotoRefresh: object({ refreshToken: string('The refresh token of the last login or refresh; single use.') }),
  MonogotoRefreshed: object({ token: string('A new access token.'), refreshToken: string('The next refresh token of the family.') }),
  MonogotoSession: object({
    token: string('ES256 JWT access token (3600 s) naming the tenant; later calls send Authorization: Bearer <token>.'),
    refreshToken: string('Opaque, single use (7 days): each refresh returns the next; reusing a spent one revokes the family.'),
    CustomerId: string('The tenant.'),
    UserId: string(),
    UserName: string(),
    Role: string(),
    Realm: string('The tenant.'),
    OrganizationId: string('The tenant.'),
    AccountSettings: object({ TwoFactorAuthentication: { type: 'boolean' } }),
    ThingsGroupIds: { type: 'array', items: { type: 'string' } },
    UserProfile: object({
      Permissions: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } }, description: 'Resource → verbs ("view", "edit", "delete"), from the user’s role.' },
      DateCreated: millis,
      Name: string('The role.'),
      Realm: string(),
      Type: { const: 'USER_PROFILE' },
      UserProfileId: string(),
      DateModified: millis,
      cas: { type: 'integer', description: 'A version that changes on every write.' },
    }),
  }),
};

const tooMany: Response = { ...text('Too Many Requests', 'Locked out after too many failures.'), headers: RETRY_AFTER };

export const monogotoPaths: Record<string, PathItem> = {
  '/Auth': {
    post: {
      tags: ['monogoto'],
      operationId: 'monogotoAuth',
      summary: 'Log in; answers the session, the user and the permissions of their profile.',
      requestBody: { required: true, content: json('MonogotoLogin') },
      responses: {
        '200': { description: 'The session.', content: json('MonogotoSession') },
        '404': text('Access denied', `Every failed login, whatever went wrong (an unknown user answers like a wrong password). ${DENIED_TOO}`),
        '429': tooMany,
      },
    },
  },
  '/Auth/Refresh': {
    post: {
      tags: ['monogoto'],
      operationId: 'monogotoRefresh',
      summary: 'Spend a refresh token for a new access token and the next refresh token.',
      requestBody: { required: true, content: json('MonogotoRefresh') },
      responses: {
        '200': { description: 'New tokens.', content: json('MonogotoRefreshed') },
        '401': text('Access denied', 'Invalid, expired, revoked or already spent refresh token (a spent one revokes its family).'),
        '404': text('Access denied', `No refreshToken. ${DENIED_TOO}`),
      },
    },
  },
};

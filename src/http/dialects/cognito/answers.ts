/** Cognito's wire shapes: the claims of its ID and access tokens (the core signs them) and its answers. */
import { AccessClaims } from '../../../core/identity/access-tokens';
import { Issued, LoginProfile, Session } from '../../../core/identity/login-profile';
import { LoginResult } from '../../../core/identity/login';
import { UserRecord } from '../../../store/store';

/** The app client the tokens are issued to (Cognito's `aud` / `client_id`). */
export const CLIENT_ID = 'master-gateway';
/** Cognito's defaults: ID and access tokens 1 hour, refresh tokens 30 days. */
export const ACCESS_TTL = 3600;
export const REFRESH_TTL = 30 * 86_400;
const SCOPE = 'aws.cognito.signin.user.admin';

/**
 * Cognito's ID and access token pair; `tenant` is on both because every gateway token names its
 * tenant. Written out key by key, not spread from a common part: on Node 20 a spread followed by more
 * keys takes V8's slow path (µs per object, measured), on every login and refresh.
 */
function tokens({ user, authTime }: Session) {
  const groups = [user.role];
  const id: AccessClaims = { sub: user.userId, tenant: user.tenantId, 'cognito:groups': groups, auth_time: authTime, aud: CLIENT_ID, token_use: 'id', 'cognito:username': user.username };
  if (user.email) id.email = user.email;
  if (user.firstName) id.given_name = user.firstName;
  if (user.lastName) id.family_name = user.lastName;
  id['custom:tenant'] = user.tenantId;
  const access = { sub: user.userId, tenant: user.tenantId, 'cognito:groups': groups, auth_time: authTime, token_use: 'access', client_id: CLIENT_ID, scope: SCOPE, username: user.username };
  return { IdToken: { claims: id, ttlSeconds: ACCESS_TTL }, AccessToken: { claims: access, ttlSeconds: ACCESS_TTL } };
}

/**
 * Refresh tokens mirror Cognito's REFRESH_TOKEN_AUTH: reusable until they expire or are revoked; a
 * refresh answers new ID and access tokens whose auth_time stays the password login's.
 */
export const PROFILE: LoginProfile<'IdToken' | 'AccessToken'> = {
  dialect: 'cognito',
  access: tokens,
  refresh: { rotating: false, ttlSeconds: REFRESH_TTL },
};

/** The attributes Cognito lists in a NEW_PASSWORD_REQUIRED challenge, as the JSON string it sends. */
function userAttributes(user: UserRecord): string {
  return JSON.stringify({
    ...(user.email ? { email: user.email } : {}),
    ...(user.firstName ? { given_name: user.firstName } : {}),
    ...(user.lastName ? { family_name: user.lastName } : {}),
    'custom:tenant': user.tenantId,
  });
}

/** InitiateAuth's result wrapped in `cognitoToken`; a refresh's has no RefreshToken. */
export function authenticated({ access, refreshToken }: Issued<'IdToken' | 'AccessToken'>) {
  const { IdToken, AccessToken } = access;
  const RefreshToken = refreshToken === undefined ? {} : { RefreshToken: refreshToken };
  return { cognitoToken: { ChallengeParameters: {}, AuthenticationResult: { IdToken, TokenType: 'Bearer', ExpiresIn: ACCESS_TTL, ...RefreshToken, AccessToken } } };
}

/** /Login's answer: the tokens, or the NEW_PASSWORD_REQUIRED challenge with its session. */
export function loginAnswer(result: LoginResult<'IdToken' | 'AccessToken'>) {
  if (result.kind === 'tokens') return authenticated(result);
  const { challenge, user, session } = result;
  return {
    cognitoToken: {
      ChallengeName: challenge,
      ChallengeParameters: { USER_ID_FOR_SRP: user.username, requiredAttributes: '[]', userAttributes: userAttributes(user) },
      Session: session,
    },
  };
}

import { AccessTokens } from '../../../core/identity/access-tokens';
import { UserRecord } from '../../../store/store';

/** The app client the tokens are issued to (Cognito's `aud` / `client_id`). */
export const CLIENT_ID = 'master-gateway';
/** Cognito's defaults: ID and access tokens 1 hour, refresh tokens 30 days. */
export const ACCESS_TTL = 3600;
export const REFRESH_TTL = 30 * 86_400;
const SCOPE = 'aws.cognito.signin.user.admin';

/** Cognito's ID and access token pair; `tenant` is on both because every gateway token names its tenant. */
export function signCognitoTokens(access: AccessTokens, user: UserRecord, authTime: number) {
  const common = { sub: user.userId, tenant: user.tenantId, 'cognito:groups': [user.role], auth_time: authTime };
  const id = access.sign(
    {
      ...common,
      aud: CLIENT_ID,
      token_use: 'id',
      'cognito:username': user.username,
      ...(user.email ? { email: user.email } : {}),
      ...(user.firstName ? { given_name: user.firstName } : {}),
      ...(user.lastName ? { family_name: user.lastName } : {}),
      'custom:tenant': user.tenantId,
    },
    ACCESS_TTL,
  );
  const acc = access.sign({ ...common, token_use: 'access', client_id: CLIENT_ID, scope: SCOPE, username: user.username }, ACCESS_TTL);
  return { IdToken: id.token, TokenType: 'Bearer', ExpiresIn: ACCESS_TTL, AccessToken: acc.token };
}

/** The attributes Cognito lists in a NEW_PASSWORD_REQUIRED challenge, as the JSON string it sends. */
export function userAttributes(user: UserRecord): string {
  return JSON.stringify({
    ...(user.email ? { email: user.email } : {}),
    ...(user.firstName ? { given_name: user.firstName } : {}),
    ...(user.lastName ? { family_name: user.lastName } : {}),
    'custom:tenant': user.tenantId,
  });
}

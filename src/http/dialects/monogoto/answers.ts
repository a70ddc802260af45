/** Monogoto's wire shapes: the claims of its access token (the core signs it) and its answers. */
import { Issued, LoginProfile } from '../../../core/identity/login-profile';

export const ACCESS_TTL = 3600;
export const REFRESH_TTL = 7 * 86_400;

/**
 * Refresh tokens rotate: each is single use, and presenting a spent one revokes its whole family
 * (the core records the incident). The login answer carries the user's role.
 */
export const PROFILE: LoginProfile<'token'> = {
  dialect: 'monogoto',
  access: ({ user }) => ({ token: { claims: { sub: user.userId, tenant: user.tenantId, username: user.username, role: user.role }, ttlSeconds: ACCESS_TTL } }),
  refresh: { rotating: true, ttlSeconds: REFRESH_TTL },
  withRole: true,
};

/**
 * The /Auth body around the tokens. This project's mapping: the tenant is the customer, the
 * organization and the realm; the user's profile is named after their role and carries its
 * permissions; the profile's id, dates and `cas` (a version that changes on every write) are the
 * user record's.
 */
export function loginAnswer({ user, role, access, refreshToken }: Issued<'token'>) {
  return {
    token: access.token,
    refreshToken,
    CustomerId: user.tenantId,
    UserId: user.userId,
    UserName: user.username,
    Role: user.role,
    Realm: user.tenantId,
    OrganizationId: user.tenantId,
    AccountSettings: { TwoFactorAuthentication: false },
    ThingsGroupIds: [] as string[],
    UserProfile: {
      Permissions: role?.permissions ?? {},
      DateCreated: user.createdAt,
      Name: user.role,
      Realm: user.tenantId,
      Type: 'USER_PROFILE',
      UserProfileId: user.userId,
      DateModified: user.updatedAt,
      cas: user.updatedAt,
    },
  };
}

/** /Auth/Refresh: exactly `{token, refreshToken}`. */
export const refreshAnswer = ({ access, refreshToken }: Issued<'token'>) => ({ token: access.token, refreshToken });

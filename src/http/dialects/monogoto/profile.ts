import { RoleRecord, UserRecord } from '../../../store/store';

/**
 * The /Auth body around the tokens. This project's mapping: the tenant is the customer, the
 * organization and the realm; the user's profile is named after their role and carries its
 * permissions; the profile's id, dates and `cas` (a version that changes on every write) are the
 * user record's.
 */
export function monogotoLogin(user: UserRecord, role: RoleRecord | undefined, token: string, refreshToken: string) {
  return {
    token,
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

import { UserRecord } from '../../../store/store';

/** The user object of the EDR login answer; in this project the EDR account is the tenant. */
export function userView(user: UserRecord) {
  return {
    aid: user.tenantId,
    firstName: user.firstName,
    lastName: user.lastName,
    username: user.username,
    email: user.email,
    cid: user.tenantId,
    name: `${user.firstName} ${user.lastName}`.trim(),
    fromMobile: true,
    edrAccount: user.tenantId,
    _id: user.userId,
  };
}

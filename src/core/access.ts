/** Who may do what, from a verified token. One place, so every service asks the same question. */
import { PermissionDenied } from '../errors';
import { ADMIN_TENANT } from '../pki/profile';
import { VerifiedToken } from './peer';

/** The administrator's own token (not the administrator acting as a tenant). */
export function isAdministrator(caller: VerifiedToken): boolean {
  return caller.role === 'administrator' && caller.tenantId === ADMIN_TENANT;
}

export function requireAdministrator(caller: VerifiedToken): void {
  if (!isAdministrator(caller)) {
    throw new PermissionDenied(
      caller.actor ? 'the Tenant API needs the administrator\'s own token, not one acting as a tenant' : 'the Tenant API is for administrators only',
    );
  }
}

/** The tenant whose gateways the caller sees; undefined = every tenant (the administrator's own token). */
export interface GatewayScope {
  tenantId: string;
  all: boolean;
}

export function gatewayScope(caller: VerifiedToken): GatewayScope {
  return { tenantId: caller.tenantId, all: isAdministrator(caller) };
}

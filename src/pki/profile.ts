/**
 * The certificate profile of the G-SDK master gateway: which SubjectAltName entries mark a
 * certificate's kind and owner, and the ID rules shared by every door.
 */
export type CertKind = 'ca' | 'server' | 'admin' | 'tenant' | 'gateway';

export const ADMIN_TENANT = 'administrator';
export const TENANT_MARK = 'Tenant Certificate';
export const GATEWAY_MARK = 'Gateway Certificate';

export const DEFAULT_CA_YEARS = 10;
export const DEFAULT_LEAF_YEARS = 5;
export const MAX_YEARS = 20;

/** Subject fields of an issued certificate (the G-SDK PKIName); empty strings are left out. */
export interface PkiName {
  country: string;
  province: string;
  city: string;
  organization: string;
  organizationUnit: string;
  commonName: string;
}

export const EMPTY_NAME: PkiName = {
  country: '',
  province: '',
  city: '',
  organization: '',
  organizationUnit: '',
  commonName: '',
};

/** Who a client certificate speaks for, read from its SubjectAltName email entries. */
export type CertIdentity =
  | { kind: 'admin'; tenantId: typeof ADMIN_TENANT }
  | { kind: 'tenant'; tenantId: string }
  | { kind: 'gateway'; tenantId: string; gatewayId: string };

/** The rfc822Name entries, in order, that mark a certificate of this identity. */
export function sanEmailsFor(identity: CertIdentity): string[] {
  if (identity.kind === 'gateway') return [GATEWAY_MARK, identity.tenantId, identity.gatewayId];
  return [TENANT_MARK, identity.tenantId];
}

/**
 * Table rows as both backends read them, and the records they become: written once, so the two
 * backends cannot map a column differently. SQLite gives flags as 0/1 and PostgreSQL as booleans;
 * serials are TEXT or NUMERIC and come back as strings; JSON columns are text in both.
 */
import { PkiName } from '../pki/profile';
import {
  AuditEvent,
  StoredAuditEvent,
  BlacklistEntry,
  CertificateRecord,
  FailureCounter,
  GatewayRecord,
  PresenceRecord,
  RefreshTokenRecord,
  RevokedToken,
  RoleRecord,
  SigningKeyRecord,
  UserPatch,
  UserRecord,
} from './store';

type Flag = boolean | number;

export interface GatewayRow {
  gateway_id: string;
  tenant_id: string;
}

export const toGateway = (r: GatewayRow): GatewayRecord => ({ gatewayId: r.gateway_id, tenantId: r.tenant_id });

/** A certificates row joined with whether the blacklist holds its serial. */
export interface CertRow {
  serial: string;
  kind: CertificateRecord['kind'];
  tenant_id: string | null;
  gateway_id: string | null;
  subject: string;
  issued_at: number;
  expires_at: number;
  fingerprint: string;
  blacklisted: Flag;
}

export const toCertificate = (r: CertRow): CertificateRecord => ({
  serial: BigInt(r.serial),
  kind: r.kind,
  tenantId: r.tenant_id,
  gatewayId: r.gateway_id,
  subject: JSON.parse(r.subject) as PkiName,
  issuedAt: r.issued_at,
  expiresAt: r.expires_at,
  fingerprint: r.fingerprint,
  blacklisted: Boolean(r.blacklisted),
});

export interface BlacklistRow {
  serial: string;
  tenant_id: string;
  gateway_id: string | null;
  added_at: number;
}

export const toBlacklistEntry = (r: BlacklistRow): BlacklistEntry => ({
  serial: BigInt(r.serial),
  tenantId: r.tenant_id,
  gatewayId: r.gateway_id,
  addedAt: r.added_at,
});

export interface RevokedTokenRow {
  jti: string;
  expires_at: number;
}

export const toRevokedToken = (r: RevokedTokenRow): RevokedToken => ({ jti: r.jti, expiresAt: r.expires_at });

export interface SigningKeyRow {
  kid: string;
  alg: string;
  private_key: string;
  public_key: string;
  created_at: number;
}

export const toSigningKey = (r: SigningKeyRow): SigningKeyRecord => ({
  kid: r.kid,
  alg: r.alg,
  privateKeyPem: r.private_key,
  publicKeyPem: r.public_key,
  createdAt: r.created_at,
});

export interface UserRow {
  user_id: string;
  username: string;
  tenant_id: string;
  role: string;
  password_hash: string;
  email: string;
  first_name: string;
  last_name: string;
  disabled: Flag;
  must_change_password: Flag;
  created_at: number | string;
  updated_at: number | string;
}

export const toUser = (r: UserRow): UserRecord => ({
  userId: r.user_id,
  username: r.username,
  tenantId: r.tenant_id,
  role: r.role,
  passwordHash: r.password_hash,
  email: r.email,
  firstName: r.first_name,
  lastName: r.last_name,
  disabled: Boolean(r.disabled),
  mustChangePassword: Boolean(r.must_change_password),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** The columns a UserPatch field is written to. */
export const USER_PATCH_COLUMNS: Record<keyof UserPatch, string> = {
  role: 'role',
  passwordHash: 'password_hash',
  email: 'email',
  firstName: 'first_name',
  lastName: 'last_name',
  disabled: 'disabled',
  mustChangePassword: 'must_change_password',
};

export interface RoleRow {
  name: string;
  permissions: string;
  created_at: number;
  updated_at: number;
}

export const toRole = (r: RoleRow): RoleRecord => ({
  name: r.name,
  permissions: JSON.parse(r.permissions) as Record<string, string[]>,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** A refresh_tokens row, its revoked_at already merged with its family's revocation where the query does so. */
export interface RefreshTokenRow {
  token_hash: string;
  family_id: string;
  user_id: string;
  dialect: string;
  rotating: Flag;
  issued_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

export const toRefreshToken = (r: RefreshTokenRow): RefreshTokenRecord => ({
  tokenHash: r.token_hash,
  familyId: r.family_id,
  userId: r.user_id,
  dialect: r.dialect,
  rotating: Boolean(r.rotating),
  issuedAt: r.issued_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
  revokedAt: r.revoked_at,
});

export interface CounterRow {
  key: string;
  failures: number;
  locked_until: number;
  last_failure_at: number;
}

export const toCounter = (r: CounterRow): FailureCounter => ({ key: r.key, failures: r.failures, lockedUntil: r.locked_until, lastFailureAt: r.last_failure_at });

export interface AuditRow {
  at: number;
  event: AuditEvent['event'];
  outcome: AuditEvent['outcome'];
  dialect: string;
  username: string | null;
  tenant_id: string | null;
  address: string | null;
  detail: string | null;
  actor: string | null;
}

export const toAuditEvent = (r: AuditRow): AuditEvent => ({
  at: r.at,
  event: r.event,
  outcome: r.outcome,
  dialect: r.dialect,
  username: r.username,
  tenantId: r.tenant_id,
  address: r.address,
  detail: r.detail,
  // Absent rather than null: the REST dialects' events have none.
  ...(r.actor !== null && r.actor !== undefined ? { actor: r.actor } : {}),
});

export const toStoredAuditEvent = (r: AuditRow & { id: number | string }): StoredAuditEvent => ({ id: Number(r.id), ...toAuditEvent(r) });

export interface PresenceRow {
  gateway_id: string;
  instance_id: string;
  tenant_id: string;
  device_ids: string;
  since: number | string;
}

export const toPresence = (r: PresenceRow): PresenceRecord => ({
  gatewayId: r.gateway_id,
  instanceId: r.instance_id,
  tenantId: r.tenant_id,
  deviceIds: JSON.parse(r.device_ids) as number[],
  since: Number(r.since),
});

/**
 * The store interface: everything the gateway keeps. Backends (sqlite, postgres) pass
 * the same contract suite (test/contract/store-contract.ts). Every method is atomic: it applies
 * all of its change or none.
 */
import { randomBytes } from 'node:crypto';
import { CertKind, PkiName } from '../pki/profile';
import { AuditEvent, FailureCounter, IdentityPurge, PurgedIdentityRows, RefreshTokenRecord, RoleRecord, UserPatch, UserRecord } from './identity-records';

export * from './identity-records';

export interface TenantRecord {
  tenantId: string;
  gatewayIds: string[];
}

export interface GatewayRecord {
  gatewayId: string;
  tenantId: string;
}

export interface CertificateRecord {
  serial: bigint;
  kind: CertKind;
  tenantId: string | null;
  gatewayId: string | null;
  subject: PkiName;
  /** Unix seconds. */
  issuedAt: number;
  expiresAt: number;
  /** SHA-256 of the DER, lowercase hex. */
  fingerprint: string;
  blacklisted: boolean;
}

export interface BlacklistEntry {
  serial: bigint;
  tenantId: string;
  gatewayId: string | null;
  /** Unix seconds. */
  addedAt: number;
}

export interface RevokedToken {
  jti: string;
  /** Unix seconds; the entry may be dropped after this. */
  expiresAt: number;
}

export interface PresenceRecord {
  gatewayId: string;
  tenantId: string;
  instanceId: string;
  deviceIds: number[];
  /** Unix ms. */
  since: number;
}

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  /**
   * The private part (PKCS#8 PEM for ES256, a base64 secret for HS256) sealed by the SecretBox
   * (`enc:v1:…`); plaintext only in stores written before encryption at rest, sealed at the next start.
   */
  privateKeyPem: string;
  publicKeyPem: string;
  /** Unix seconds. */
  createdAt: number;
}

export interface CertificateFilter {
  tenantId?: string;
  gatewayId?: string;
  /** Any of these tenants (one query for many owners). */
  tenantIds?: string[];
  /** Any of these gateways. */
  gatewayIds?: string[];
}

/** A new tenant generation: 96 random bits, base64url (16 characters). */
export const newTenantGeneration = () => randomBytes(12).toString('base64url');

/** What changed, so caches built on the store know what to reload. */
export const STORE_TOPICS = ['tenants', 'blacklist', 'tokens', 'keys', 'certificates', 'users', 'presence'] as const;
export type StoreTopic = (typeof STORE_TOPICS)[number];

export interface Store {
  readonly kind: string;

  listTenants(): Promise<string[]>;
  /** One indexed lookup: whether the tenant is registered. */
  hasTenant(tenantId: string): Promise<boolean>;
  /**
   * The tenant's generation (a random ID given each time the tenant is added; '' for tenants made
   * before generations existed), or undefined when it is not registered. One indexed lookup.
   */
  tenantGeneration(tenantId: string): Promise<string | undefined>;
  /** Only the tenants that exist, in the order asked. */
  getTenants(tenantIds: string[]): Promise<TenantRecord[]>;
  /** All or nothing; throws AlreadyExists (tenant or gateway ID taken) and adds nothing. */
  addTenants(tenants: TenantRecord[]): Promise<void>;
  /** All or nothing; throws TenantNotFound. Removes the tenants' gateway registrations too. */
  deleteTenants(tenantIds: string[]): Promise<void>;

  listGateways(tenantId?: string): Promise<GatewayRecord[]>;
  findGateway(gatewayId: string): Promise<GatewayRecord | undefined>;
  /**
   * All or nothing; throws TenantNotFound or AlreadyExists, and QuotaExceeded when the tenant would
   * then have more than `maxPerTenant` gateways (counted in the same transaction, so parallel adds
   * cannot pass the bound together).
   */
  addGateways(tenantId: string, gatewayIds: string[], maxPerTenant?: number): Promise<void>;
  /**
   * All or nothing, across tenants too: throws GatewayNotFound naming the first gateway not registered
   * to the tenant given with it, and deletes nothing.
   */
  deleteGateways(gateways: GatewayRecord[]): Promise<void>;

  recordCertificate(record: Omit<CertificateRecord, 'blacklisted'>): Promise<void>;
  listCertificates(filter?: CertificateFilter): Promise<CertificateRecord[]>;
  findCertificate(serial: bigint): Promise<CertificateRecord | undefined>;

  listBlacklist(filter?: CertificateFilter): Promise<BlacklistEntry[]>;
  /** Idempotent per serial. */
  addBlacklist(entries: BlacklistEntry[]): Promise<void>;
  removeBlacklist(serials: bigint[]): Promise<void>;

  revokeToken(token: RevokedToken): Promise<void>;
  /** One indexed lookup: whether this token ID was revoked (and the revocation not yet purged). */
  isTokenRevoked(jti: string): Promise<boolean>;
  /** Drops the revocations that ran out before `now` (Unix seconds); returns how many. */
  purgeRevokedTokens(now: number): Promise<number>;
  /** Revocations still in force at `now` (Unix seconds), for tests and diagnostics; older ones may be purged. */
  listRevokedTokens(now: number): Promise<RevokedToken[]>;

  listSigningKeys(): Promise<SigningKeyRecord[]>;
  addSigningKey(key: SigningKeyRecord): Promise<void>;
  /**
   * Replaces a key's record if its stored private part is still `expected` (compare and swap, so a
   * re-encryption never undoes a concurrent rotation); false when it changed or is gone.
   */
  replaceSigningKey(kid: string, expected: string, key: SigningKeyRecord): Promise<boolean>;
  /**
   * Deletes a key for good. Throws SigningKeyNotFound, or FailedPrecondition when it is the newest key
   * of its algorithm (the one signing): checked in the same transaction as the delete.
   */
  retireSigningKey(kid: string): Promise<void>;

  /** Throws AlreadyExists (username taken) or TenantNotFound. */
  addUser(user: UserRecord): Promise<void>;
  findUserByName(username: string): Promise<UserRecord | undefined>;
  findUser(userId: string): Promise<UserRecord | undefined>;
  listUsers(tenantId?: string): Promise<UserRecord[]>;
  /** Throws UserNotFound. */
  updateUser(userId: string, patch: UserPatch, updatedAt: number): Promise<void>;
  /** Also revokes the user's refresh tokens. Throws UserNotFound. */
  deleteUser(userId: string): Promise<void>;

  putRole(role: RoleRecord): Promise<void>;
  listRoles(): Promise<RoleRecord[]>;
  findRole(name: string): Promise<RoleRecord | undefined>;
  /** Throws FailedPrecondition while users hold the role, RoleNotFound if there is none. */
  deleteRole(name: string): Promise<void>;

  addRefreshToken(token: RefreshTokenRecord): Promise<void>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** Marks a rotating token spent; true only for the one call that spent it (atomic). */
  spendRefreshToken(tokenHash: string, at: number): Promise<boolean>;
  /**
   * Revokes a family (a reuse incident, or logout) for good: its tokens, and any token added to it
   * later, are revoked (findRefreshToken reports revokedAt). Returns how many tokens were live.
   */
  revokeRefreshFamily(familyId: string, at: number): Promise<number>;
  revokeUserRefreshTokens(userId: string, at: number): Promise<number>;
  /** Live (unexpired, unrevoked) refresh tokens, for metrics and tests. */
  countLiveRefreshTokens(now: number): Promise<number>;

  /**
   * Adds one failure to each key (atomic per key) and returns the counters after it. Failures older
   * than `windowStart` are forgotten first; `lockFor(failures)` gives the lock to set, in ms (0 = none).
   */
  recordFailures(keys: string[], at: number, windowStart: number, lockFor: (failures: number, key: string) => number): Promise<FailureCounter[]>;
  /**
   * One login attempt, counted before the password is checked so parallel guesses cannot slip past
   * a lock: if any key is locked at `at`, nothing is counted and the latest lockedUntil is returned;
   * otherwise one failure is counted on every key (as recordFailures) and lockedUntil is 0. Atomic.
   */
  countAttempt(keys: string[], at: number, windowStart: number, lockFor: (failures: number, key: string) => number): Promise<{ lockedUntil: number; counters: FailureCounter[] }>;
  /**
   * An attempt counted by countAttempt failed: sets each key's lock to what `lockFor` gives for its
   * count now (from `at`), never shortening a lock already set. Keys with no counter (a success
   * cleared it meanwhile) stay without one. Returns the counters there are, in the order asked. Atomic.
   */
  lockFailures(keys: string[], at: number, lockFor: (failures: number, key: string) => number): Promise<FailureCounter[]>;
  /** Takes back one counted failure of each key (an attempt that succeeded). */
  forgiveFailures(keys: string[]): Promise<void>;
  getFailures(keys: string[]): Promise<FailureCounter[]>;
  clearFailures(keys: string[]): Promise<void>;
  /**
   * Drops identity rows nothing will read again, at most `limit` per table, in one transaction, and
   * says how many went: failure counters not locked at `at` with no failure since `failuresBefore`;
   * the refresh tokens (spent and revoked ones too) of families with no token expiring at or after
   * `expiredBefore`; then the revocations of families with no token left. Audit events go by purgeAudit.
   */
  purgeIdentityRows(cutoffs: IdentityPurge): Promise<PurgedIdentityRows>;

  /**
   * Spends a single-use challenge session (Cognito-style NEW_PASSWORD_REQUIRED): true only for the
   * one call, in any process on this store, that spent it (atomic). `expiresAt` is when the session
   * runs out (Unix ms); spent sessions that ran out before `forgetBefore` (Unix ms) are dropped first.
   */
  spendChallenge(sessionId: string, expiresAt: number, forgetBefore: number): Promise<boolean>;

  recordAudit(event: AuditEvent): Promise<void>;
  /** Newest first. */
  listAudit(limit: number): Promise<AuditEvent[]>;
  /**
   * Drops at most `limit` audit events recorded before `before` (Unix ms), oldest first, and says how
   * many went. Events are taken in the order they were recorded, up to the first one at or after
   * `before` (no index on time needed: a run costs about the rows it drops).
   */
  purgeAudit(before: number, limit: number): Promise<number>;

  /** A device gateway's command channel held by one gateway instance (for status across instances). */
  putPresence(record: PresenceRecord): Promise<void>;
  removePresence(gatewayId: string, instanceId: string): Promise<void>;
  /** Marks the instance alive at `at` (ms); presence of instances not seen since `aliveSince` is ignored. */
  heartbeat(instanceId: string, at: number): Promise<void>;
  listPresence(aliveSince: number): Promise<PresenceRecord[]>;
  /** An instance shutting down: its presence goes at once. */
  retireInstance(instanceId: string): Promise<void>;

  /** Resolves when the database answers; rejects with StoreUnavailable when it does not. */
  ping(): Promise<void>;

  /** Calls back when data changed: through this instance (`external` false) or another process sharing the data (true). */
  onChange(listener: (topic: StoreTopic, external: boolean) => void): () => void;
  close(): Promise<void>;
}

/**
 * The store interface: everything the gateway keeps. Backends (sqlite now, postgres later) pass
 * the same contract suite (test/contract/store-contract.ts). Every method is atomic: it applies
 * all of its change or none.
 */
import { CertKind, PkiName } from '../pki/profile';

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

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  publicKeyPem: string;
  /** Unix seconds. */
  createdAt: number;
}

export interface CertificateFilter {
  tenantId?: string;
  gatewayId?: string;
}

/** What changed, so caches built on the store know what to reload. */
export type StoreTopic = 'tenants' | 'blacklist' | 'tokens' | 'keys' | 'certificates';

export interface Store {
  readonly kind: string;

  listTenants(): Promise<string[]>;
  /** Only the tenants that exist, in the order asked. */
  getTenants(tenantIds: string[]): Promise<TenantRecord[]>;
  /** All or nothing; throws AlreadyExists (tenant or gateway ID taken) and adds nothing. */
  addTenants(tenants: TenantRecord[]): Promise<void>;
  /** All or nothing; throws TenantNotFound. Removes the tenants' gateway registrations too. */
  deleteTenants(tenantIds: string[]): Promise<void>;

  listGateways(tenantId?: string): Promise<GatewayRecord[]>;
  findGateway(gatewayId: string): Promise<GatewayRecord | undefined>;
  /** All or nothing; throws TenantNotFound or AlreadyExists. */
  addGateways(tenantId: string, gatewayIds: string[]): Promise<void>;
  /** All or nothing; throws GatewayNotFound for IDs not registered to this tenant. */
  deleteGateways(tenantId: string, gatewayIds: string[]): Promise<void>;

  recordCertificate(record: Omit<CertificateRecord, 'blacklisted'>): Promise<void>;
  listCertificates(filter?: CertificateFilter): Promise<CertificateRecord[]>;
  findCertificate(serial: bigint): Promise<CertificateRecord | undefined>;

  listBlacklist(filter?: CertificateFilter): Promise<BlacklistEntry[]>;
  /** Idempotent per serial. */
  addBlacklist(entries: BlacklistEntry[]): Promise<void>;
  removeBlacklist(serials: bigint[]): Promise<void>;

  revokeToken(token: RevokedToken): Promise<void>;
  /** Revocations still in force at `now` (Unix seconds); older ones may be purged. */
  listRevokedTokens(now: number): Promise<RevokedToken[]>;

  listSigningKeys(): Promise<SigningKeyRecord[]>;
  addSigningKey(key: SigningKeyRecord): Promise<void>;

  /** Calls back when data changed, through this instance or another process sharing the data. */
  onChange(listener: (topic: StoreTopic) => void): () => void;
  close(): Promise<void>;
}

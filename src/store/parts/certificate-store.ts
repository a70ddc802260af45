/** The certificates the CA issued (the issuance history) and the blacklist of serials. */
import { CertKind, PkiName } from '../../pki/profile';

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

export interface CertificateFilter {
  tenantId?: string;
  gatewayId?: string;
  /** Any of these tenants (one query for many owners). */
  tenantIds?: string[];
  /** Any of these gateways. */
  gatewayIds?: string[];
}

export interface CertificateStore {
  recordCertificate(record: Omit<CertificateRecord, 'blacklisted'>): Promise<void>;
  listCertificates(filter?: CertificateFilter): Promise<CertificateRecord[]>;
  findCertificate(serial: bigint): Promise<CertificateRecord | undefined>;

  listBlacklist(filter?: CertificateFilter): Promise<BlacklistEntry[]>;
  /** Idempotent per serial. */
  addBlacklist(entries: BlacklistEntry[]): Promise<void>;
  removeBlacklist(serials: bigint[]): Promise<void>;
}

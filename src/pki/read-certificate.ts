/**
 * Reading certificates that clients send. Parsing is node:crypto's (OpenSSL); this file only
 * checks the PEM framing and reads the SubjectAltName convention of the profile.
 */
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { InvalidArgument, InvalidCertificate } from '../errors';
import { ADMIN_TENANT, CertIdentity, GATEWAY_MARK, TENANT_MARK } from './profile';
import { isValidId } from './ids';

export const MAX_PEM_LENGTH = 64 * 1024;
const BEGIN = '-----BEGIN CERTIFICATE-----';

/** Parses one PEM certificate from an untrusted field; every failure names the field. */
export function parsePemCertificate(pem: unknown, field: string): X509Certificate {
  if (typeof pem !== 'string' || pem.trim() === '') throw new InvalidArgument(`${field} is empty`);
  if (pem.length > MAX_PEM_LENGTH) throw new InvalidArgument(`${field} is larger than 64 KiB`);
  const count = pem.split(BEGIN).length - 1;
  if (count === 0) throw new InvalidCertificate(`${field} is not a PEM certificate (no ${BEGIN} line)`);
  if (count > 1) throw new InvalidCertificate(`${field} holds ${count} certificates; send exactly one`);
  try {
    return new X509Certificate(pem);
  } catch (cause) {
    throw new InvalidCertificate(`${field} is not a readable PEM certificate (truncated or corrupt)`, { cause });
  }
}

const PEM_BLOCK = /^\s*-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----\s*$/;

/**
 * True when `pem` is exactly one PEM block (RFC 7468) whose bytes are `der`: the common case of a
 * client sending the certificate it presented, checked without parsing X.509 a second time.
 */
export function pemEncodes(pem: unknown, der: Buffer): boolean {
  if (typeof pem !== 'string' || pem.length > MAX_PEM_LENGTH) return false;
  const m = PEM_BLOCK.exec(pem);
  return !!m && Buffer.from(m[1], 'base64').equals(der);
}

/**
 * What the gateway reads of a certificate. node:crypto's X509Certificate has these fields, and a TLS
 * connection's certificate (tls getPeerCertificate(), already parsed by Node during the handshake)
 * is turned into them by certificateFields(), so a connection's certificate is not parsed twice.
 */
export interface CertificateFields {
  raw: Buffer;
  ca: boolean;
  /** Hex, as OpenSSL prints it. */
  serialNumber: string;
  validFrom: string;
  validTo: string;
  subjectAltName: string | undefined;
  /** Colon-separated hex SHA-256 of the DER. */
  fingerprint256: string;
}

/** The fields of a TLS peer certificate object (tls.PeerCertificate) under X509Certificate's names. */
export function certificateFields(peer: PeerCertificate): CertificateFields {
  return {
    raw: peer.raw,
    ca: peer.ca,
    serialNumber: peer.serialNumber,
    validFrom: peer.valid_from,
    validTo: peer.valid_to,
    subjectAltName: peer.subjectaltname,
    fingerprint256: peer.fingerprint256,
  };
}

export interface SanEntry {
  type: string;
  value: string;
}

const SAN_ENTRY = /(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;

/** The SubjectAltName entries in certificate order, as OpenSSL reports them. */
export function sanEntries(cert: Pick<CertificateFields, 'subjectAltName'>): SanEntry[] {
  const text = cert.subjectAltName;
  if (!text) return [];
  const entries: SanEntry[] = [];
  for (const match of text.matchAll(SAN_ENTRY)) {
    const raw = match[2];
    // node quotes values holding separators as JSON strings.
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    entries.push({ type: match[1], value });
  }
  return entries;
}

/**
 * Who a client certificate speaks for, by the profile's SAN convention, or a reason it has none.
 * Works for certificates made by any tool that writes the same rfc822Name entries.
 */
export function readIdentity(cert: Pick<CertificateFields, 'ca' | 'subjectAltName'>): CertIdentity | { problem: string } {
  if (cert.ca) return { problem: 'is a CA certificate, not a client certificate' };
  const emails = sanEntries(cert)
    .filter((entry) => entry.type === 'email')
    .map((entry) => entry.value);
  if (emails.length === 0) {
    return { problem: 'carries no tenant ID (no rfc822Name SubjectAltName entries; a server certificate?)' };
  }
  if (emails[0] === TENANT_MARK && emails.length === 2) {
    const tenantId = emails[1];
    if (!isValidId(tenantId)) return { problem: 'carries a tenant ID with characters outside [A-Za-z0-9._-]' };
    return tenantId === ADMIN_TENANT ? { kind: 'admin', tenantId } : { kind: 'tenant', tenantId };
  }
  if (emails[0] === GATEWAY_MARK && emails.length === 3) {
    const [, tenantId, gatewayId] = emails;
    if (!isValidId(tenantId) || !isValidId(gatewayId)) {
      return { problem: 'carries a tenant or gateway ID with characters outside [A-Za-z0-9._-]' };
    }
    return { kind: 'gateway', tenantId, gatewayId };
  }
  return { problem: `carries no tenant ID (SubjectAltName must start with "${TENANT_MARK}" or "${GATEWAY_MARK}")` };
}

export function serialOf(cert: Pick<CertificateFields, 'serialNumber'>): bigint {
  return BigInt(`0x${cert.serialNumber}`);
}

export function validityOf(cert: Pick<CertificateFields, 'validFrom' | 'validTo'>): { notBefore: number; notAfter: number } {
  return { notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo) };
}

/** SHA-256 thumbprint of the DER, base64url: the `x5t#S256` of RFC 8705. */
export function thumbprintOf(cert: Pick<CertificateFields, 'fingerprint256'>): string {
  return Buffer.from(cert.fingerprint256.replace(/:/g, ''), 'hex').toString('base64url');
}

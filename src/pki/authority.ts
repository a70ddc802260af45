/**
 * The gateway's certificate authority: loading it from disk and issuing every kind of
 * certificate of the profile. Issuing returns the record for the issuance history; the caller
 * stores it (and never the private key).
 */
import { createHash, createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { CertificateRecord } from '../store/store';
import { buildCertificate } from './build-certificate';
import { parseCaBundle } from './ca-bundle';
import { generateKeyPair, generateKeyPairAsync, KeyPair, KeyType } from './keys';
import { CertIdentity, CertKind, DEFAULT_CA_YEARS, DEFAULT_LEAF_YEARS, EMPTY_NAME, PkiName, sanEmailsFor } from './profile';
import { randomSerial } from './serial';

export interface Authority {
  cert: X509Certificate;
  certPem: string;
  privateKey: KeyObject;
}

export interface Issued {
  certPem: string;
  keyPem: string;
  cert: X509Certificate;
  record: Omit<CertificateRecord, 'blacklisted'>;
}

export interface ValidityOptions {
  years?: number;
  /** Overrides for tests and for back-dated certificates. */
  notBefore?: Date;
  notAfter?: Date;
  keyType?: KeyType;
  subject?: Partial<PkiName>;
}

/** Leeway for clients whose clocks run a little behind. */
const BACKDATE_MS = 5 * 60 * 1000;

function validity(options: ValidityOptions, defaultYears: number): { notBefore: Date; notAfter: Date } {
  const notBefore = options.notBefore ?? new Date(Date.now() - BACKDATE_MS);
  let notAfter = options.notAfter;
  if (!notAfter) {
    notAfter = new Date(Date.now());
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + (options.years ?? defaultYears));
  }
  return { notBefore, notAfter };
}

export function fingerprintHex(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}

function recordOf(cert: X509Certificate, kind: CertKind, subject: PkiName, serial: bigint, owner: { tenantId?: string; gatewayId?: string }) {
  return {
    serial,
    kind,
    tenantId: owner.tenantId ?? null,
    gatewayId: owner.gatewayId ?? null,
    subject,
    issuedAt: Math.floor(Date.parse(cert.validFrom) / 1000),
    expiresAt: Math.floor(Date.parse(cert.validTo) / 1000),
    fingerprint: fingerprintHex(cert),
  };
}

const DEFAULT_SUBJECTS: Record<CertKind, Partial<PkiName>> = {
  ca: { organization: 'Master Gateway', organizationUnit: 'Certificate Authority' },
  server: { organization: 'Master Gateway', organizationUnit: 'Server', commonName: 'master-gateway' },
  admin: { organization: 'Master Gateway', organizationUnit: 'Administrator' },
  tenant: { organization: 'Master Gateway', organizationUnit: 'Tenant' },
  gateway: { organization: 'Master Gateway', organizationUnit: 'Device Gateway' },
};

function subjectFor(kind: CertKind, given?: Partial<PkiName>): PkiName {
  const hasAny = given && Object.values(given).some((v) => v);
  return { ...EMPTY_NAME, ...(hasAny ? given : DEFAULT_SUBJECTS[kind]) };
}

export function createAuthority(options: ValidityOptions = {}): Issued & Authority {
  const keys = generateKeyPair(options.keyType);
  const serial = randomSerial();
  const subject = { ...subjectFor('ca', options.subject), commonName: '' };
  const certPem = buildCertificate(
    { serial, subject, publicKey: keys.publicKey, ...validity(options, DEFAULT_CA_YEARS), isCa: true },
    { privateKey: keys.privateKey },
  );
  const cert = new X509Certificate(certPem);
  return { certPem, keyPem: keys.privateKeyPem, cert, privateKey: keys.privateKey, record: recordOf(cert, 'ca', subject, serial, {}) };
}

/**
 * `certPem` may hold several CA certificates (a CA rollover: old and new side by side); the one the
 * key belongs to issues.
 */
export function loadAuthority(certPem: string, keyPem: string): Authority {
  const certs = parseCaBundle(certPem);
  const privateKey = createPrivateKey(keyPem);
  const cert = certs.find((c) => c.checkPrivateKey(privateKey));
  if (!cert) throw new Error(certs.length > 1 ? 'the CA key belongs to none of the CA certificates' : 'the CA key does not belong to the CA certificate');
  if (!cert.ca) throw new Error('the CA certificate is not a CA (BasicConstraints CA:FALSE)');
  return { cert, certPem: certs.length > 1 ? cert.toString() : certPem, privateKey };
}

export type LeafRequest =
  | { kind: 'server'; names: string[] }
  | { kind: 'admin' | 'tenant' | 'gateway'; identity: CertIdentity };

export function issueLeaf(ca: Authority, request: LeafRequest, options: ValidityOptions = {}): Issued {
  return leafWithKeys(ca, request, options, generateKeyPair(options.keyType));
}

/** issueLeaf with the key made off the event loop (the server's CreateCertificate). */
export async function issueLeafAsync(ca: Authority, request: LeafRequest, options: ValidityOptions = {}): Promise<Issued> {
  return leafWithKeys(ca, request, options, await generateKeyPairAsync(options.keyType));
}

function leafWithKeys(ca: Authority, request: LeafRequest, options: ValidityOptions, keys: KeyPair): Issued {
  const serial = randomSerial();
  const subject = subjectFor(request.kind, options.subject);
  const san =
    request.kind === 'server'
      ? { sanDns: request.names.filter((n) => !isIP(n)), sanIps: request.names.filter((n) => isIP(n)) }
      : { sanEmails: sanEmailsFor(request.identity) };
  const certPem = buildCertificate(
    { serial, subject, publicKey: keys.publicKey, ...validity(options, DEFAULT_LEAF_YEARS), isCa: false, ...san },
    { cert: ca.cert, privateKey: ca.privateKey },
  );
  const cert = new X509Certificate(certPem);
  const owner =
    request.kind === 'server'
      ? {}
      : { tenantId: request.identity.tenantId, gatewayId: request.identity.kind === 'gateway' ? request.identity.gatewayId : undefined };
  return { certPem, keyPem: keys.privateKeyPem, cert, record: recordOf(cert, request.kind, subject, serial, owner) };
}

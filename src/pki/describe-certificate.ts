/**
 * What `certs show` prints: the kind, owner, serial, validity and fingerprint of a certificate, and
 * plainly what is wrong with it from the gateway's point of view.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { fingerprintHex } from './authority';
import { issuedByAny } from './ca-bundle';
import { DEFAULT_SERVER_NAMES } from './cert-dir';
import { daysLeft, EXPIRY_WARNING_DAYS, expiresSoon } from './expiry';
import { readIdentity, sanEntries, serialOf } from './read-certificate';

export interface CertificateDescription {
  kind: 'ca' | 'server' | 'admin' | 'tenant' | 'gateway' | 'unknown';
  tenantId?: string;
  gatewayId?: string;
  serial: string;
  serialHex: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  fingerprint: string;
  names: string[];
  /** Whole days until it expires (negative once it has). */
  daysLeft: number;
  problems: string[];
  /** Things to act on soon that the gateway does not object to yet (an expiry within 30 days). */
  warnings: string[];
}

export interface DescribeOptions {
  /** ca.crt: one CA, or several during a rollover. */
  ca?: X509Certificate | X509Certificate[];
  /** Host names or IPs a server certificate must cover. */
  expectNames?: string[];
  now?: number;
}

function serverNames(cert: X509Certificate): string[] {
  return sanEntries(cert)
    .filter((e) => e.type === 'DNS' || e.type === 'IP Address')
    .map((e) => e.value);
}

export function describeCertificate(cert: X509Certificate, options: DescribeOptions = {}): CertificateDescription {
  const now = options.now ?? Date.now();
  const problems: string[] = [];
  const identity = readIdentity(cert);
  const names = serverNames(cert);
  let kind: CertificateDescription['kind'] = 'unknown';
  if (cert.ca) kind = 'ca';
  else if (!('problem' in identity)) kind = identity.kind;
  else if (names.length > 0) kind = 'server';
  else problems.push(`no tenant ID: it ${identity.problem}`);

  if (now > Date.parse(cert.validTo)) problems.push(`expired on ${cert.validTo}`);
  if (now < Date.parse(cert.validFrom)) problems.push(`not valid before ${cert.validFrom}`);
  const cas = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  if (cas.length > 0 && kind !== 'ca' && !issuedByAny(cert, cas)) {
    problems.push('wrong CA: not issued by the given ca.crt (clients and the gateway must share one CA)');
  }
  if (kind === 'server') {
    const expected = options.expectNames ?? DEFAULT_SERVER_NAMES;
    for (const name of expected) {
      const covered = isIP(name) ? cert.checkIP(name) !== undefined : cert.checkHost(name) !== undefined;
      if (!covered) problems.push(`server certificate lacks the name ${name}: clients dialing ${name} will fail the TLS check`);
    }
  }
  const warnings: string[] = [];
  const left = daysLeft(cert, now);
  if (expiresSoon(cert, now)) {
    warnings.push(`expires in ${left} days (warned from ${EXPIRY_WARNING_DAYS}): ${kind === 'ca' ? 'roll the CA over' : kind === 'server' ? 'renew it with "master-gateway certs server"' : 'issue a new one'}`);
  }
  const serial = serialOf(cert);
  return {
    kind,
    ...('problem' in identity ? {} : { tenantId: identity.tenantId }),
    ...(!('problem' in identity) && identity.kind === 'gateway' ? { gatewayId: identity.gatewayId } : {}),
    serial: serial.toString(),
    serialHex: cert.serialNumber,
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprint: fingerprintHex(cert),
    names,
    daysLeft: left,
    problems,
    warnings,
  };
}

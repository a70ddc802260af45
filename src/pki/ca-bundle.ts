/**
 * `ca.crt` may hold several CA certificates while a CA is rolled over (the new one beside the old,
 * so clients of either are trusted). Only the PEM framing is split here; each block is parsed by
 * node:crypto.
 */
import { X509Certificate } from 'node:crypto';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The PEM certificate blocks of a file, in order. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERTIFICATE) ?? [];
}

/** Every certificate of a CA file; throws when there is none or one is unreadable. */
export function parseCaBundle(text: string): X509Certificate[] {
  const blocks = pemCertificates(text);
  if (blocks.length === 0) throw new Error('holds no PEM certificate');
  return blocks.map((pem) => new X509Certificate(pem));
}

/** Issued by one of the CAs: its issuer name matches and that CA's key signed it (checked natively). */
export function issuedByAny(cert: X509Certificate, cas: readonly X509Certificate[]): boolean {
  return cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
}

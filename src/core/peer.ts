/**
 * What the gateway knows about one mutual-TLS connection's client certificate. Built once per
 * connection: parsing, the chain check and the thumbprint are not repeated per call.
 */
import { X509Certificate } from 'node:crypto';
import { CertificateFields, readIdentity, serialOf, thumbprintOf, validityOf } from '../pki/read-certificate';
import { issuedByAny } from '../pki/ca-bundle';
import { CertIdentity } from '../pki/profile';

export interface VerifiedToken {
  jti: string;
  /** The key that signed it: a token of a retired key is refused at its next check. */
  kid: string;
  subject: string;
  tenantId: string;
  role: 'administrator' | 'tenant';
  actor?: string;
  /** Unix seconds. */
  expiresAt: number;
  /** The generation of the tenant it was issued for ('' for tenants older than generations). */
  tenantGeneration: string;
}

/** A token verified on this connection, and when (in directory epochs) its revocation and tenant were last checked. */
export interface CachedToken {
  token: VerifiedToken;
  revocationEpoch: number;
  tenantsEpoch: number;
  /** Found revoked: revocations are for good. */
  revoked: boolean;
  /** A recheck in flight, and the epochs it started at: calls arriving at the same epochs wait for it. */
  pending?: { revocationEpoch: number; tenantsEpoch: number; done: Promise<void> };
}

/**
 * What a client certificate says, read once. Every connection that presents the same certificate
 * shares one (see CertificateCache), so nothing here may depend on the connection.
 */
export interface ClientCertificate {
  /**
   * The certificate's DER, and the last PEM text a Login sent that was found to encode it (a Login
   * sending the same text again skips the comparison).
   */
  cert: { raw: Buffer; knownPem?: string };
  serial: bigint;
  /** base64url SHA-256 of the DER (RFC 8705 x5t#S256). */
  thumbprint: string;
  identity: CertIdentity | { problem: string };
  /** ms since the epoch. */
  notBefore: number;
  notAfter: number;
  /** Issued directly by the gateway's CA: its issuer is ca.crt and ca.crt's key signed it (checked once, natively). */
  trusted: boolean;
  /** A CA certificate (basicConstraints CA:TRUE): never a client. */
  isCa: boolean;
}

/** One mutual-TLS connection: its client certificate and the tokens seen on it. */
export interface Peer extends ClientCertificate {
  /** Tokens already verified on this connection (bounded). */
  tokens: Map<string, CachedToken>;
  /**
   * The token of this connection's last call. A client sends the same token call after call, and
   * comparing it costs ~10 ns where a Map lookup must first hash the new ~400-character string (~0.5 µs).
   */
  lastToken?: { raw: string; cached: CachedToken };
}

export const MAX_TOKENS_PER_PEER = 16;

/** The CA certificates of ca.crt (several while a CA is rolled over). */
export type TrustAnchors = X509Certificate | readonly X509Certificate[];

/**
 * Trust is always checked here, never taken from the TLS layer: OpenSSL accepts a chain through an
 * intermediate CA that ca.crt signed, and a client certificate must be issued by ca.crt itself (by
 * one of its certificates). Pass an X509Certificate to spare a second parse.
 */
export function readClientCertificate(cert: CertificateFields, ca: TrustAnchors): ClientCertificate {
  const { notBefore, notAfter } = validityOf(cert);
  return {
    cert: { raw: cert.raw, knownPem: undefined },
    serial: serialOf(cert),
    thumbprint: thumbprintOf(cert),
    identity: readIdentity(cert),
    notBefore,
    notAfter,
    trusted: issuedBy(cert, ca),
    isCa: cert.ca,
  };
}

/** A new connection's Peer for a certificate already read. */
export function peerFor(c: ClientCertificate): Peer {
  // Named fields, not a spread: one object shape for every Peer, and no generic property copy per connection.
  return {
    cert: c.cert,
    serial: c.serial,
    thumbprint: c.thumbprint,
    identity: c.identity,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    trusted: c.trusted,
    isCa: c.isCa,
    tokens: new Map(),
    lastToken: undefined,
  };
}

export function createPeer(cert: CertificateFields, ca: TrustAnchors): Peer {
  return peerFor(readClientCertificate(cert, ca));
}

export function issuedBy(cert: CertificateFields, ca: TrustAnchors): boolean {
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert.raw);
  return issuedByAny(x509, ca instanceof X509Certificate ? [ca] : ca);
}

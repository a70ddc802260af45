/**
 * The DER of a TLS connection's client certificate, taken from the connection's session
 * (tls.TLSSocket#getSession(): OpenSSL's i2d_SSL_SESSION) in about 2 µs, where getPeerCertificate()
 * builds a 16-field object in about 20 µs. Only the outer framing of the session is stepped over;
 * the certificate itself is not read here. A connection's certificate is read once per distinct
 * certificate (see CertificateCache); the DER is the cache key, compared byte for byte.
 *
 * OpenSSL encodes a session as (ssl/ssl_asn1.c):
 *   SEQUENCE { version INTEGER, sslVersion INTEGER, cipher OCTET STRING, sessionId OCTET STRING,
 *              masterKey OCTET STRING, keyArg [0] OPTIONAL, time [1] OPTIONAL, timeout [2] OPTIONAL,
 *              peer [3] EXPLICIT Certificate OPTIONAL, … }
 * Anything unexpected gives undefined, and the caller reads the certificate the slow way.
 */

const SEQUENCE = 0x30;
/** Context-specific, constructed, tag 3: the `peer` field. */
const PEER_FIELD = 0xa3;

interface Element {
  tag: number;
  /** First byte of the contents. */
  start: number;
  /** One past the last byte of the contents. */
  end: number;
}

/** One DER tag-length header at `at` (single-byte tags, definite lengths up to 2^24). */
function elementAt(der: Buffer, at: number, limit: number): Element | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets < 1 || octets > 3 || start + octets > limit) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[start++];
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}

/** The peer certificate's DER inside an encoded TLS session (a view, not a copy), or undefined. */
export function peerCertificateDer(session: Buffer | undefined): Buffer | undefined {
  if (!session) return undefined;
  const outer = elementAt(session, 0, session.length);
  if (!outer || outer.tag !== SEQUENCE) return undefined;
  for (let at = outer.start; at < outer.end; ) {
    const field = elementAt(session, at, outer.end);
    if (!field) return undefined;
    if (field.tag === PEER_FIELD) {
      const cert = elementAt(session, field.start, field.end);
      return cert && cert.tag === SEQUENCE && cert.end === field.end ? session.subarray(field.start, field.end) : undefined;
    }
    at = field.end;
  }
  return undefined;
}

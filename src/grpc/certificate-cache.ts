/**
 * Client certificates already read, found by their DER. Devices and clients reconnect with the same
 * certificate again and again; each new connection then costs a session read (~2 µs) and a byte
 * comparison instead of getPeerCertificate() (~20 µs) and the reading of its fields (~10 µs).
 * Bounded: the least recently used certificate goes first.
 */
import { ClientCertificate } from '../core/peer';

export const DEFAULT_CERTIFICATE_CACHE_SIZE = 1024;
/** Bytes at the end of the DER used as the Map key: the tail of the signature, which differs per certificate. */
const KEY_BYTES = 32;

export class CertificateCache {
  private readonly entries = new Map<string, ClientCertificate>();

  constructor(private readonly capacity = DEFAULT_CERTIFICATE_CACHE_SIZE) {}

  /** The certificate read earlier from exactly these bytes, or undefined. */
  get(der: Buffer): ClientCertificate | undefined {
    const key = keyOf(der);
    const hit = this.entries.get(key);
    // Two certificates whose signatures end alike share a key; the full comparison tells them apart.
    if (!hit || !hit.cert.raw.equals(der)) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  set(certificate: ClientCertificate): void {
    const key = keyOf(certificate.cert.raw);
    this.entries.delete(key);
    this.entries.set(key, certificate);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Forgets every certificate (their trust was read against a ca.crt that was just replaced). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

const keyOf = (der: Buffer) => `${der.length}:${der.toString('latin1', Math.max(0, der.length - KEY_BYTES))}`;

/**
 * Per-connection client certificates for handlers, without grpc-js's per-call
 * getPeerCertificate(). The door's TLS listener asks `admit()` about every finished handshake and
 * hands grpc-js only the connections admitted here, so a call's connection is always one of ours:
 * a call whose connection is not found has no peer (UNAUTHENTICATED), never a fallback.
 *
 * A call finds its connection by the full address pair (local and remote address and port), which
 * the door's interceptor writes into the call's metadata, overwriting anything a client sent.
 */
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call';
import { X509Certificate } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import { Logger } from 'pino';
import { ClientCertificate, issuedBy, Peer, peerFor, readClientCertificate } from '../core/peer';
import { ErrorCode, GatewayError } from '../errors';
import { peerCertificateDer } from '../pki/session-peer';
import { CertificateCache } from './certificate-cache';

const TIME_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
/** Internal metadata key; set by the door's interceptor on every call, never trusted from clients. */
export const CONNECTION_KEY = 'x-master-gateway-connection';

export const connectionKey = (local: string | undefined, localPort: number | undefined, remote: string | undefined, remotePort: number | undefined) =>
  `${local}|${localPort}|${remote}|${remotePort}`;

/** Why a certificate is dropped at the handshake (core policy: untrusted, CA, blacklisted), or undefined. */
export type Admission = (certificate: ClientCertificate) => GatewayError | undefined;

export interface PeerRegistry {
  /**
   * Called once a TLS handshake finished: true when the connection may carry gRPC calls. Every
   * other connection is destroyed here.
   */
  admit(socket: TLSSocket): boolean;
  peerOf(call: ServerSurfaceCall): Peer | undefined;
  /** The peer of the connection with this address pair (see CONNECTION_KEY), if it is live. */
  peerByKey(key: unknown): Peer | undefined;
  /** Called when an admitted connection whose certificate a handler looked at closes. */
  onDisconnect(listener: (peer: Peer) => void): void;
  /** Live admitted TLS connections (for draining and metrics). */
  connections(): number;
  /**
   * A new ca.crt: certificates are read against it from now on, and every live connection's trust is
   * read again, so a connection whose CA left the file gets UNAUTHENTICATED on its next call (it is
   * not cut: the call says why). Connections of a CA still in the file go on untouched.
   */
  setTrust(cas: readonly X509Certificate[]): void;
}

/**
 * `perCertificate`: connections one client certificate may hold open at once. With the stream limit
 * per connection it bounds what one certificate can make the gateway hold (the connection cap alone
 * would let one certificate take every connection).
 */
export function createPeerRegistry(
  initialCas: readonly X509Certificate[],
  admission: Admission,
  log: Logger,
  perCertificate = Number.MAX_SAFE_INTEGER,
  certificates = new CertificateCache(),
  /** Told of each refused connection, with a reason from a closed set (for /metrics). */
  refused: (reason: 'certificate_untrusted' | 'certificate_unreadable' | 'certificate_refused' | 'per_certificate_limit') => void = () => undefined,
): PeerRegistry {
  const sockets = new Map<string, TLSSocket>();
  const perThumbprint = new Map<string, number>();
  const peers = new WeakMap<TLSSocket, Peer>();
  const disconnectListeners: ((peer: Peer) => void)[] = [];
  let cas = initialCas;

  /**
   * Every refusal is a security event: one line with its stable code (info; warn for a blacklisted
   * certificate, a credential the operator withdrew), and the certificate's serial and tenant when it
   * could be read. Each costs the client a full handshake, so no throttle is needed.
   */
  function refuse(socket: TLSSocket, code: ErrorCode, reason: string, certificate?: ClientCertificate): false {
    const fields = { code, reason, remote: socket.remoteAddress, serial: certificate?.serial.toString(), tenant: certificate && 'tenantId' in certificate.identity ? certificate.identity.tenantId : undefined };
    if (code === 'ERR_CERT_BLACKLISTED') log.warn(fields, 'TLS client refused');
    else log.info(fields, 'TLS client refused');
    socket.destroy();
    return false;
  }

  /**
   * The connection's certificate: found in the cache by the session's DER, else parsed once and
   * cached. Trust (issued by ca.crt itself) is part of what is read, whatever OpenSSL concluded.
   */
  function certificateOf(socket: TLSSocket): ClientCertificate | undefined {
    const der = peerCertificateDer(socket.getSession()) ?? socket.getPeerCertificate(false)?.raw;
    if (!der) return undefined;
    const known = certificates.get(der);
    if (known) return known;
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(der);
    } catch {
      return undefined;
    }
    const read = readClientCertificate(x509, cas);
    // Only our CA's certificates are worth keeping: anyone can make untrusted ones to evict them.
    if (read.trusted) certificates.set(read);
    return read;
  }

  function admit(socket: TLSSocket): boolean {
    if (!socket.authorized) {
      // OpenSSL checked the chain and failed it: only a validity-window failure goes on (to Login).
      const reason = String(socket.authorizationError ?? 'no client certificate');
      if (!TIME_ERRORS.has(reason)) {
        refused('certificate_untrusted');
        return refuse(socket, socket.authorizationError ? 'ERR_CERT_UNTRUSTED' : 'ERR_UNAUTHENTICATED', reason);
      }
    }
    const certificate = certificateOf(socket);
    if (!certificate) {
      refused('certificate_unreadable');
      return refuse(socket, 'ERR_INVALID_CERTIFICATE', 'no readable client certificate');
    }
    const refusal = admission(certificate);
    if (refusal) {
      refused('certificate_refused');
      return refuse(socket, refusal.code, refusal.message, certificate);
    }
    const held = perThumbprint.get(certificate.thumbprint) ?? 0;
    if (held >= perCertificate) {
      refused('per_certificate_limit');
      return refuse(socket, 'ERR_RESOURCE_EXHAUSTED', `the certificate already holds ${held} connections, the most allowed`, certificate);
    }
    perThumbprint.set(certificate.thumbprint, held + 1);
    const key = connectionKey(socket.localAddress, socket.localPort, socket.remoteAddress, socket.remotePort);
    sockets.set(key, socket);
    peers.set(socket, peerFor(certificate));
    socket.once('close', () => {
      if (sockets.get(key) === socket) sockets.delete(key);
      const left = (perThumbprint.get(certificate.thumbprint) ?? 1) - 1;
      if (left > 0) perThumbprint.set(certificate.thumbprint, left);
      else perThumbprint.delete(certificate.thumbprint);
      const peer = peers.get(socket);
      if (peer) for (const listener of disconnectListeners) listener(peer);
    });
    return true;
  }

  function peerByKey(key: unknown): Peer | undefined {
    const socket = typeof key === 'string' ? sockets.get(key) : undefined;
    return socket && !socket.destroyed ? peers.get(socket) : undefined;
  }

  function setTrust(next: readonly X509Certificate[]): void {
    cas = next;
    certificates.clear();
    // Many connections share a certificate: each distinct one is verified once.
    const verdicts = new Map<string, boolean>();
    for (const socket of sockets.values()) {
      const peer = peers.get(socket);
      if (!peer) continue;
      let trusted = verdicts.get(peer.thumbprint);
      if (trusted === undefined) {
        trusted = issuedBy(new X509Certificate(peer.cert.raw), cas);
        verdicts.set(peer.thumbprint, trusted);
      }
      peer.trusted = trusted;
    }
  }

  return {
    admit,
    peerByKey,
    setTrust,
    peerOf: (call) => peerByKey(call.metadata.get(CONNECTION_KEY)[0]),
    onDisconnect: (listener) => {
      disconnectListeners.push(listener);
    },
    connections: () => sockets.size,
  };
}

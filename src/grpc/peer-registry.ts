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
import { ClientCertificate, Peer, peerFor, readClientCertificate } from '../core/peer';
import { peerCertificateDer } from '../pki/session-peer';
import { CertificateCache } from './certificate-cache';

const TIME_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
/** Internal metadata key; set by the door's interceptor on every call, never trusted from clients. */
export const CONNECTION_KEY = 'x-master-gateway-connection';

export const connectionKey = (local: string | undefined, localPort: number | undefined, remote: string | undefined, remotePort: number | undefined) =>
  `${local}|${localPort}|${remote}|${remotePort}`;

/** Why a certificate is dropped at the handshake (core policy: untrusted, CA, blacklisted), or undefined. */
export type Admission = (certificate: ClientCertificate) => string | undefined;

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
}

/**
 * `perCertificate`: connections one client certificate may hold open at once. With the stream limit
 * per connection it bounds what one certificate can make the gateway hold (the connection cap alone
 * would let one certificate take every connection).
 */
export function createPeerRegistry(
  ca: X509Certificate,
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

  function refuse(socket: TLSSocket, reason: string): false {
    log.debug({ remote: socket.remoteAddress, reason }, 'TLS client refused');
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
    const read = readClientCertificate(x509, ca);
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
        return refuse(socket, reason);
      }
    }
    const certificate = certificateOf(socket);
    if (!certificate) {
      refused('certificate_unreadable');
      return refuse(socket, 'no readable client certificate');
    }
    const refusal = admission(certificate);
    if (refusal) {
      refused('certificate_refused');
      return refuse(socket, refusal);
    }
    const held = perThumbprint.get(certificate.thumbprint) ?? 0;
    if (held >= perCertificate) {
      refused('per_certificate_limit');
      return refuse(socket, `the certificate already holds ${held} connections, the most allowed`);
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

  return {
    admit,
    peerByKey,
    peerOf: (call) => peerByKey(call.metadata.get(CONNECTION_KEY)[0]),
    onDisconnect: (listener) => {
      disconnectListeners.push(listener);
    },
    connections: () => sockets.size,
  };
}

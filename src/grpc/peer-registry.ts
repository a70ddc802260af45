/**
 * Per-connection client certificates for handlers, without grpc-js's per-call
 * getPeerCertificate(). The TLS layer accepts the handshake of a certificate from our CA that is
 * only outside its validity window (so Login can answer UNAUTHENTICATED saying why); every other
 * unverified peer is dropped before HTTP/2 starts.
 *
 * A call finds its connection by the full address pair (local and remote address and port), which
 * a server interceptor writes into the call's metadata, overwriting anything a client sent.
 */
import { Metadata, ResponderBuilder, Server, ServerInterceptingCall, ServerInterceptor, ServerListenerBuilder } from '@grpc/grpc-js';
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call';
import { X509Certificate } from 'node:crypto';
import { Server as NetServer } from 'node:net';
import { TLSSocket } from 'node:tls';
import { Logger } from 'pino';
import { ClientCertificate, createPeer, Peer, peerFor, readClientCertificate } from '../core/peer';
import { CertificateFields, certificateFields } from '../pki/read-certificate';
import { peerCertificateDer } from '../pki/session-peer';
import { CertificateCache } from './certificate-cache';

const TIME_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
/** Internal metadata key; set by our interceptor on every call, never trusted from clients. */
export const CONNECTION_KEY = 'x-master-gateway-connection';

const keyOf = (local: string | undefined, localPort: number | undefined, remote: string | undefined, remotePort: number | undefined) =>
  `${local}|${localPort}|${remote}|${remotePort}`;

/** Stamps each call with its connection's address pair. */
export const connectionInterceptor: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(
    call,
    new ResponderBuilder()
      .withStart((next) =>
        next(
          new ServerListenerBuilder()
            .withOnReceiveMetadata((metadata: Metadata, mdNext) => {
              const c = call.getConnectionInfo();
              metadata.set(CONNECTION_KEY, keyOf(c.localAddress, c.localPort, c.remoteAddress, c.remotePort));
              mdNext(metadata);
            })
            .build(),
        ),
      )
      .build(),
  );

export interface PeerRegistry {
  /** Hooks the server's listeners; call right after bindAsync, before traffic. */
  attach(server: Server): void;
  peerOf(call: ServerSurfaceCall): Peer | undefined;
  /** Called when a connection whose certificate a handler looked at closes. */
  onDisconnect(listener: (peer: Peer) => void): void;
  /** Live TLS connections (for draining and metrics). */
  connections(): number;
}

/**
 * The peer's certificate as Node parsed it during the handshake. A second parse (new X509Certificate)
 * costs ~100 µs per connection in OpenSSL 3.0, and getPeerX509Certificate() leaks native memory in Node 20.
 */
function peerFields(socket: TLSSocket): CertificateFields | undefined {
  const cert = socket.getPeerCertificate(false);
  return cert?.raw ? certificateFields(cert) : undefined;
}

export function createPeerRegistry(ca: X509Certificate, log: Logger, certificates = new CertificateCache()): PeerRegistry {
  const sockets = new Map<string, TLSSocket>();
  const peers = new WeakMap<TLSSocket, Peer>();
  const disconnectListeners: ((peer: Peer) => void)[] = [];

  function refuse(socket: TLSSocket, reason: string): void {
    log.debug({ remote: socket.remoteAddress, reason }, 'TLS client refused');
    socket.destroy();
  }

  function onSecureConnection(socket: TLSSocket): void {
    if (!socket.authorized) {
      const reason = String(socket.authorizationError ?? 'no client certificate');
      if (!TIME_ERRORS.has(reason)) return refuse(socket, reason);
      // OpenSSL reports the last error: a foreign CA's expired certificate says "expired" too.
      const raw = socket.getPeerCertificate(false)?.raw;
      const cert = raw ? new X509Certificate(raw) : undefined;
      if (!cert || !cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return refuse(socket, `${reason} and not issued by our CA`);
      peers.set(socket, createPeer(cert, ca, true));
    }
    const key = keyOf(socket.localAddress, socket.localPort, socket.remoteAddress, socket.remotePort);
    sockets.set(key, socket);
    socket.once('close', () => {
      if (sockets.get(key) === socket) sockets.delete(key);
      const peer = peers.get(socket);
      if (peer) for (const listener of disconnectListeners) listener(peer);
    });
  }

  /** A verified connection's certificate: found in the cache by the session's DER, else read and cached. */
  function certificateOf(socket: TLSSocket): ClientCertificate | undefined {
    const der = peerCertificateDer(socket.getSession());
    const known = der && certificates.get(der);
    if (known) return known;
    const fields = peerFields(socket);
    if (!fields) return undefined;
    // Only authorized sockets (and ones verified above) get here: OpenSSL checked the chain.
    const read = readClientCertificate(fields, ca, true);
    if (der?.equals(fields.raw)) certificates.set(read);
    return read;
  }

  function fromSocket(socket: TLSSocket): Peer | undefined {
    let peer = peers.get(socket);
    if (!peer) {
      const certificate = certificateOf(socket);
      if (!certificate) return undefined;
      peer = peerFor(certificate);
      peers.set(socket, peer);
    }
    return peer;
  }

  return {
    attach(server) {
      // grpc-js keeps its HTTP/2 servers private; this is the one place that reaches for them.
      const servers = (server as unknown as { http2Servers: Map<NetServer, unknown> }).http2Servers;
      for (const http2Server of servers.keys()) {
        http2Server.prependListener('secureConnection', onSecureConnection);
      }
    },

    peerOf(call) {
      const key = call.metadata.get(CONNECTION_KEY)[0];
      const socket = typeof key === 'string' ? sockets.get(key) : undefined;
      if (socket && !socket.destroyed) return fromSocket(socket);
      // Not seen by our hook: fall back to what grpc-js reports for verified peers only.
      const cert = call.getAuthContext()?.sslPeerCertificate;
      return cert?.raw ? createPeer(certificateFields(cert), ca, true) : undefined;
    },

    onDisconnect: (listener) => {
      disconnectListeners.push(listener);
    },
    connections: () => sockets.size,
  };
}

/**
 * Per-connection client certificates for handlers, without grpc-js's per-call
 * getPeerCertificate(). The TLS layer accepts the handshake of a certificate from our CA that is
 * only outside its validity window (so Login can answer UNAUTHENTICATED saying why); every other
 * unverified peer is dropped before HTTP/2 starts.
 */
import { Server } from '@grpc/grpc-js';
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call';
import { X509Certificate } from 'node:crypto';
import { Server as NetServer } from 'node:net';
import { TLSSocket } from 'node:tls';
import { Logger } from 'pino';
import { createPeer, Peer } from '../core/peer';

const TIME_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

export interface PeerRegistry {
  /** Hooks the server's listeners; call right after bindAsync, before traffic. */
  attach(server: Server): void;
  peerOf(call: ServerSurfaceCall): Peer | undefined;
  /** Called when a connection whose certificate a handler looked at closes. */
  onDisconnect(listener: (peer: Peer) => void): void;
  /** Live TLS connections (for draining and metrics). */
  connections(): number;
}

export function createPeerRegistry(ca: X509Certificate, log: Logger): PeerRegistry {
  const sockets = new Map<string, TLSSocket>();
  const peers = new WeakMap<TLSSocket, Peer>();
  const disconnectListeners: ((peer: Peer) => void)[] = [];

  function onSecureConnection(socket: TLSSocket): void {
    if (!socket.authorized) {
      const reason = String(socket.authorizationError ?? 'no client certificate');
      if (!TIME_ERRORS.has(reason)) {
        log.debug({ remote: socket.remoteAddress, reason }, 'TLS client refused');
        socket.destroy();
        return;
      }
    }
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    sockets.set(key, socket);
    socket.once('close', () => {
      if (sockets.get(key) === socket) sockets.delete(key);
      const peer = peers.get(socket);
      if (peer) for (const listener of disconnectListeners) listener(peer);
    });
  }

  function fromSocket(socket: TLSSocket): Peer | undefined {
    let peer = peers.get(socket);
    if (!peer) {
      const cert = socket.getPeerX509Certificate();
      if (!cert) return undefined;
      peer = createPeer(cert, ca);
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
      const socket = sockets.get(call.getPeer());
      if (socket && !socket.destroyed) return fromSocket(socket);
      // Not seen by our hook: fall back to what grpc-js reports for verified peers only.
      const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
      return raw ? createPeer(new X509Certificate(raw), ca) : undefined;
    },

    onDisconnect: (listener) => {
      disconnectListeners.push(listener);
    },
    connections: () => sockets.size,
  };
}

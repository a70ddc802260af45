/**
 * The gRPC door's own TLS listener. Every connection is counted against `maxConnections` from its
 * first byte, must finish its handshake within `handshakeTimeoutMs`, and is handed to grpc-js only
 * when `admit` accepts its client certificate; anything else is destroyed here. The client
 * certificate is required and checked against our CA by OpenSSL; OpenSSL's own refusal is off so
 * that a certificate that is only outside its validity window reaches Login (admit decides).
 */
import { Socket } from 'node:net';
import { createServer, SecureContextOptions, Server as TlsServer, TLSSocket } from 'node:tls';
import { Logger } from 'pino';
import { addressKey } from '../core/identity/address-limiter';
import { ConnectionInjector } from './grpc-internals';
import { listenOn } from '../listen-failure';

export interface TlsListenerOptions {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  maxConnections: number;
  handshakeTimeoutMs: number;
  /** Connections from one address that may be in their TLS handshake at once. */
  maxHandshakesPerAddress: number;
}

export interface TlsListener {
  readonly port: number;
  /**
   * New server certificate, key and CA for handshakes from now on. Connections already open keep
   * the session they made (node:tls: a socket holds its own SSL object).
   */
  setSecureContext(tls: Pick<TlsListenerOptions, 'caPem' | 'serverCertPem' | 'serverKeyPem'>): void;
  /** Stops accepting; connections already admitted are grpc-js's to drain. */
  stopAccepting(): void;
  /** Ends every connection still open, admitted or not (after the drain's grace period). */
  destroyAll(): void;
  /** Open connections, admitted or still in their handshake. */
  connections(): number;
}

/**
 * Everything of the secure context, in one place: tls.Server#setSecureContext replaces the whole
 * context (an option left out falls back to Node's default), so start and reload share this.
 */
function contextOptions(tls: Pick<TlsListenerOptions, 'caPem' | 'serverCertPem' | 'serverKeyPem'>): SecureContextOptions {
  return { ca: tls.caPem, cert: tls.serverCertPem, key: tls.serverKeyPem, minVersion: 'TLSv1.2' };
}

export async function listenTls(
  options: TlsListenerOptions,
  host: string,
  port: number,
  admit: (socket: TLSSocket) => boolean,
  injector: ConnectionInjector,
  log: Logger,
  /** Told of each connection refused here, with a reason from a closed set (for /metrics). */
  refused: (reason: 'handshakes_per_address' | 'handshake_failed' | 'connection_cap') => void = () => undefined,
): Promise<TlsListener> {
  const server: TlsServer = createServer({
    ...contextOptions(options),
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: ['h2'],
    handshakeTimeout: options.handshakeTimeoutMs,
  });
  server.maxConnections = options.maxConnections;
  const open = new Set<Socket>();
  // Silent handshakes from one address must not fill the connection cap for everyone else. Keyed by
  // address and port, because 'secureConnection' hands over the TLS socket, not this raw one.
  const handshaking = new Map<string, number>();
  /** Connections still in their handshake ("address|port") → the group they count against. */
  const pending = new Map<string, string>();
  const finished = (address: string, port: number | undefined) => {
    const group = pending.get(`${address}|${port}`);
    if (group === undefined) return;
    pending.delete(`${address}|${port}`);
    const left = (handshaking.get(group) ?? 1) - 1;
    if (left > 0) handshaking.set(group, left);
    else handshaking.delete(group);
  };
  let limitedSinceLine = 0;
  let lastLimitedLine = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    // An IPv6 client is counted by its /64: one host usually holds the whole prefix.
    const group = addressKey(address);
    const busy = handshaking.get(group) ?? 0;
    if (busy >= options.maxHandshakesPerAddress) {
      // A security refusal, logged with its code; a refused connection costs its sender nothing, so
      // at most one line every 10 s (with how many were refused since the last one).
      limitedSinceLine++;
      if (Date.now() - lastLimitedLine >= 10_000) {
        log.info({ code: 'ERR_RATE_LIMITED', remote: address, busy, refused: limitedSinceLine }, 'gRPC connection refused: too many handshakes from this address');
        lastLimitedLine = Date.now();
        limitedSinceLine = 0;
      }
      refused('handshakes_per_address');
      socket.destroy();
      return;
    }
    handshaking.set(group, busy + 1);
    pending.set(`${address}|${socket.remotePort}`, group);
    open.add(socket);
    const port = socket.remotePort;
    socket.once('close', () => {
      open.delete(socket);
      finished(address, port);
    });
  });
  // node:tls reports a failed or timed-out handshake here and leaves the socket open: close it.
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    log.debug({ remote: socket.remoteAddress, reason: err.code ?? err.message }, 'TLS handshake failed');
    refused('handshake_failed');
    socket.destroy();
  });
  // At the cap every new connection is dropped: say so at most every 10 s, not once per connection.
  let dropped = 0;
  let lastWarning = 0;
  server.on('drop', () => {
    refused('connection_cap');
    dropped++;
    if (Date.now() - lastWarning < 10_000) return;
    log.warn({ code: 'ERR_RESOURCE_EXHAUSTED', dropped, maxConnections: options.maxConnections }, 'gRPC connections refused: at the connection cap');
    lastWarning = Date.now();
    dropped = 0;
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    finished(socket.remoteAddress ?? '', socket.remotePort);
    // Errors after the handshake are the session's to handle; without a listener they would throw.
    socket.on('error', (err) => log.debug({ err, remote: socket.remoteAddress }, 'TLS connection error'));
    if (admit(socket)) injector.injectConnection(socket);
  });

  const bound = await listenOn(server, host, port);
  server.on('error', (err) => log.error({ err }, 'gRPC listener error'));

  return {
    port: bound,
    setSecureContext: (tls) => server.setSecureContext(contextOptions(tls)),
    stopAccepting: () => server.close(),
    destroyAll() {
      for (const socket of open) socket.destroy();
    },
    connections: () => open.size,
  };
}

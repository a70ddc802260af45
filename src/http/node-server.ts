/**
 * The Node server under fastify, made here so every bound an unauthenticated caller can make it hold
 * is set in one place: TLS handshake time, open connections, time to send headers and a body, idle
 * keep-alive time. Clients are not asked for a certificate (apps and browsers have none).
 */
import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import { SecureContextOptions } from 'node:tls';
import { Logger } from 'pino';
import { HttpTls } from './http-tls';

export interface ConnectionLimits {
  handshakeTimeoutMs: number;
  maxConnections: number;
  keepAliveTimeoutMs: number;
}

/** Headers of a login request are small; a client that needs longer is a slowloris. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** Whole request, body included (64 KiB at most): generous for a slow mobile link. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** A socket with no traffic at all for this long is closed (e.g. a client that stops reading its answer). */
export const SOCKET_IDLE_MS = 30_000;
/** How often Node enforces the two timeouts above (its default, 30 s, would let them run 3× late). */
const CHECK_INTERVAL_MS = 1000;
/** Refused connections are logged at most this often, so a flood does not become a log flood. */
const DROP_LOG_INTERVAL_MS = 60_000;

/** The secure context, shared by start and reload (setSecureContext replaces every option of it). */
const contextOptions = (tls: HttpTls): SecureContextOptions => ({ cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.2' });

/** A new certificate and key for handshakes from now on; open connections keep theirs. */
export function setServerTls(server: Server, tls: HttpTls): void {
  if (!(server instanceof HttpsServer)) throw new Error('the HTTP bridge serves plaintext: no certificate to replace');
  server.setSecureContext(contextOptions(tls));
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function createNodeServer(handler: Handler, tls: HttpTls | undefined, limits: ConnectionLimits, log: Logger): Server {
  const httpOptions = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: CHECK_INTERVAL_MS };
  const server: Server = tls
    ? createHttpsServer(
        {
          ...httpOptions,
          ...contextOptions(tls),
          ALPNProtocols: ['http/1.1'],
          requestCert: false,
          handshakeTimeout: limits.handshakeTimeoutMs,
        },
        handler,
      )
    : createHttpServer(httpOptions, handler);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.setTimeout(SOCKET_IDLE_MS);
  // Beyond the cap Node closes new connections at once: the file descriptors stay for the gRPC door.
  server.maxConnections = limits.maxConnections;
  let dropped = 0;
  let lastLog = 0;
  server.on('drop', () => {
    dropped++;
    const now = Date.now();
    if (now - lastLog < DROP_LOG_INTERVAL_MS) return;
    lastLog = now;
    log.warn({ maxConnections: limits.maxConnections, refusedSinceLastWarning: dropped }, 'HTTP bridge at its connection cap: refusing new connections');
    dropped = 0;
  });
  return server;
}

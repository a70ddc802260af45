/**
 * Everything the gRPC door relies on from grpc-js beyond the everyday API, in one place, checked
 * when the door starts: the gateway refuses to start (ERR_GRPC_JS_INCOMPATIBLE) rather than run on
 * something that changed. test/unit/grpc/grpc-internals.test.ts pins the version and behaviour.
 *
 * The door owns its TLS listener (node:tls, see tls-listener.ts): requestCert without OpenSSL's
 * rejection (a certificate that is only expired must reach Login), the handshake timeout and the
 * connection cap are all public node:tls options there. grpc-js never listens; it is handed only
 * the connections the door admitted, through `Server#createConnectionInjector` (public since
 * grpc-js 1.11, still young). No private field or method of grpc-js is touched, so no connection
 * can reach a handler without passing the door's check, whatever listeners grpc-js might add.
 *
 * The injector serves a connection with the server's options ('grpc.max_concurrent_streams',
 * 'grpc.max_connection_idle_ms', …): the pinning test checks that they still apply to it.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Duplex } from 'node:stream';
import { GrpcJsIncompatible } from '../errors';

/** The grpc-js version this module was last checked against (the pinning test fails on another). */
export const CHECKED_GRPC_JS_VERSION = '1.14.7';

export interface ConnectionInjector {
  /** Serves gRPC (HTTP/2) on a connection whose TLS handshake the door already finished and checked. */
  injectConnection(connection: Duplex): void;
  destroy(): void;
}

const isFunction = (value: unknown): value is (...args: unknown[]) => unknown => typeof value === 'function';

/** grpc-js's injector for `server`, after checking it has the shape the door relies on. */
export function createInjector(server: Server): ConnectionInjector {
  const create = (server as unknown as { createConnectionInjector?: unknown }).createConnectionInjector;
  if (!isFunction(create)) {
    throw new GrpcJsIncompatible(`@grpc/grpc-js has no Server#createConnectionInjector (checked against ${CHECKED_GRPC_JS_VERSION}); the gRPC door cannot start`);
  }
  // Insecure: the connection handed over is already a verified TLS socket; grpc-js adds no TLS of its own.
  const injector = create.call(server, ServerCredentials.createInsecure()) as Partial<ConnectionInjector> | undefined;
  if (!injector || !isFunction(injector.injectConnection) || !isFunction(injector.destroy)) {
    throw new GrpcJsIncompatible(`@grpc/grpc-js's connection injector changed shape (checked against ${CHECKED_GRPC_JS_VERSION}); the gRPC door cannot start`);
  }
  return injector as ConnectionInjector;
}

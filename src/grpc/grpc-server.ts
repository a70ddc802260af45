/**
 * The gRPC door: mutual TLS, the G-SDK services (and their pre-V1.5 aliases), health checking and
 * server reflection. Draining stops new calls, lets in-flight ones finish, then closes.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { Logger } from 'pino';
import { X509Certificate } from 'node:crypto';
import { Core } from '../core/create-core';
import { parseCaBundle } from '../pki/ca-bundle';
import * as loginMessages from '../gen/gsdk/login/login';
import { CallMetrics, GrpcDeps } from './call';
import { createStreamCounter } from './stream-counter';
import { legacyAlias } from './legacy-alias';
import { createLoginService } from './login-service';
import { createTenantService } from './tenant-service';
import { createGatewayService } from './gateway-service';
import { createMasterService } from './master-service';
import * as tenantMessages from '../gen/gsdk/tenant/tenant';
import * as gatewayMessages from '../gen/gsdk/gateway/gateway';
import * as masterMessages from '../gen/gsdk/master/master';
import { createPeerRegistry, PeerRegistry } from './peer-registry';
import { createDoorInterceptor } from './door-interceptor';
import { createInjector } from './grpc-internals';
import { MAX_REQUEST_BYTES, withRequestLimits } from './message-limits';
import { listenTls, TlsListener } from './tls-listener';
import { withSharedWriter } from './shared-writer';
import { createReflection } from './reflection';

export interface TlsMaterial {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

/** Bounds on what one client can make the door hold (README, "Security notes"). */
export interface GrpcLimits {
  maxConnections: number;
  handshakeTimeoutMs: number;
  maxConcurrentStreams: number;
  idleTimeoutMs: number;
  maxConnectionsPerCertificate: number;
  maxHandshakesPerAddress: number;
}

export const DEFAULT_GRPC_LIMITS: GrpcLimits = {
  maxConnections: 4096,
  handshakeTimeoutMs: 10_000,
  maxConcurrentStreams: 100,
  idleTimeoutMs: 300_000,
  maxConnectionsPerCertificate: 64,
  maxHandshakesPerAddress: 32,
};

/** What the operations listener shares with the door (src/ops/). */
export interface GrpcObservers {
  /** The one answer behind the health service's overall status and /readyz (src/ops/readiness.ts). */
  readiness: { onChange(listener: (ready: boolean) => void): void; draining(): void };
  metrics?: CallMetrics;
  /** A connection refused at or right after the TLS handshake; `reason` is from a closed set. */
  tlsRefused?: (reason: string) => void;
}

export interface GrpcServer {
  readonly port: number;
  /** Open connections, admitted or still in their handshake. */
  connections(): number;
  readonly peers: PeerRegistry;
  /** Serve a new certificate and key, and verify clients with a new ca.crt, without touching open connections. */
  setTls(tls: TlsMaterial & { cas: readonly X509Certificate[] }): void;
  drain(graceMs: number): Promise<void>;
}

/** Health and reflection register themselves; their requests get the same size check as ours. */
function limitedRegistrar(server: grpc.Server): grpc.Server {
  const registrar = {
    addService: (definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation) =>
      server.addService(withRequestLimits(definition), implementation),
  };
  return registrar as unknown as grpc.Server;
}

export async function startGrpcServer(
  core: Core,
  tls: TlsMaterial,
  host: string,
  port: number,
  log: Logger,
  limits: GrpcLimits,
  observers: GrpcObservers,
): Promise<GrpcServer> {
  const peers = createPeerRegistry(parseCaBundle(tls.caPem), core.auth.admissionRefusal, log, limits.maxConnectionsPerCertificate, undefined, observers.tlsRefused);
  const deps: GrpcDeps = { auth: core.auth, peers, log, metrics: observers.metrics };
  const server = new grpc.Server({
    // Above every method's own limit (message-limits.ts): larger messages are refused unbuffered.
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    'grpc.max_connection_idle_ms': limits.idleTimeoutMs,
    // No channelz service is served, so grpc-js need not trace every connection and call for one.
    'grpc.enable_channelz': 0,
    // The stream counter first: next to grpc-js's call, it sees the door's refusals too.
    interceptors: [...(observers.metrics ? [createStreamCounter(observers.metrics)] : []), createDoorInterceptor(peers, core.auth, log)],
  });
  // First: a grpc-js without the injector stops the start before anything else is set up.
  const injector = createInjector(server);

  const services: [grpc.ServiceDefinition, grpc.UntypedServiceImplementation][] = [
    [withSharedWriter(loginMessages.LoginService, loginMessages), createLoginService(deps)],
    [withSharedWriter(tenantMessages.TenantService, tenantMessages), createTenantService(deps, core)],
    [withSharedWriter(gatewayMessages.GatewayService, gatewayMessages), createGatewayService(deps, core)],
    [withSharedWriter(masterMessages.MasterService, masterMessages), createMasterService(deps, core)],
  ];
  for (const [definition, implementation] of services) {
    server.addService(withRequestLimits(definition), implementation);
    server.addService(withRequestLimits(legacyAlias(definition)), implementation);
  }
  peers.onDisconnect((peer) => core.sessions.closePeer(peer));

  const health = new HealthImplementation(
    Object.fromEntries(['', 'gsdk.login.Login', 'gsdk.tenant.Tenant', 'gsdk.gateway.Gateway', 'gsdk.master.Master'].map((s) => [s, 'SERVING'])),
  );
  health.addToServer(limitedRegistrar(server));
  createReflection().addToServer(limitedRegistrar(server));

  // Health follows readiness (the store answers, every door listens, not draining, certificates valid).
  observers.readiness.onChange((ready) => health.setStatus('', ready ? 'SERVING' : 'NOT_SERVING'));

  let listener: TlsListener;
  try {
    const { maxConnections, handshakeTimeoutMs, maxHandshakesPerAddress } = limits;
    listener = await listenTls({ ...tls, maxConnections, handshakeTimeoutMs, maxHandshakesPerAddress }, host, port, peers.admit, injector, log, observers.tlsRefused);
  } catch (err) {
    server.forceShutdown();
    throw err;
  }

  return {
    port: listener.port,
    peers,
    connections: () => listener.connections(),
    setTls(next) {
      // Trust first: a client that completes a handshake under the new CA must find it trusted.
      peers.setTrust(next.cas);
      // A device gateway whose CA left ca.crt loses its channels now, not at its next call.
      core.devices.recheckAll();
      listener.setSecureContext(next);
    },
    drain(graceMs) {
      listener.stopAccepting();
      observers.readiness.draining();
      health.setStatus('', 'NOT_SERVING');
      core.hub.close();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn({ graceMs }, 'grace period over: closing remaining calls');
          server.forceShutdown();
          listener.destroyAll();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          listener.destroyAll();
          resolve();
        });
      });
    },
  };
}

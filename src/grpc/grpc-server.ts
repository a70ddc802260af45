/**
 * The gRPC door: mutual TLS, the G-SDK services (and their pre-V1.5 aliases), health checking and
 * server reflection. Draining stops new calls, lets in-flight ones finish, then closes.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { Logger } from 'pino';
import { Core } from '../core/create-core';
import * as loginMessages from '../gen/gsdk/login/login';
import { GrpcDeps } from './call';
import { legacyAlias } from './legacy-alias';
import { createLoginService } from './login-service';
import { createTenantService } from './tenant-service';
import { createGatewayService } from './gateway-service';
import { createMasterService } from './master-service';
import * as tenantMessages from '../gen/gsdk/tenant/tenant';
import * as gatewayMessages from '../gen/gsdk/gateway/gateway';
import * as masterMessages from '../gen/gsdk/master/master';
import { connectionInterceptor, createPeerRegistry, PeerRegistry } from './peer-registry';
import { withSharedWriter } from './shared-writer';

export const PROTO_DIR = join(__dirname, '..', '..', 'proto');
const PROTO_FILES = ['gsdk/login/login.proto', 'gsdk/tenant/tenant.proto', 'gsdk/gateway/gateway.proto', 'gsdk/master/master.proto'];

export interface TlsMaterial {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

export interface GrpcServer {
  readonly port: number;
  readonly peers: PeerRegistry;
  drain(graceMs: number): Promise<void>;
}

export function serverCredentials(tls: TlsMaterial): grpc.ServerCredentials {
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(tls.caPem),
    [{ cert_chain: Buffer.from(tls.serverCertPem), private_key: Buffer.from(tls.serverKeyPem) }],
    true,
  );
  // The client certificate is still required and verified against our CA; the peer registry
  // drops every failure except a validity-window one, which Login then reports by name.
  Object.assign(credentials._getConstructorOptions() ?? {}, { rejectUnauthorized: false, minVersion: 'TLSv1.2' });
  return credentials;
}

function reflection(): ReflectionService {
  const definition = protoLoader.loadSync(PROTO_FILES, { includeDirs: [PROTO_DIR], keepCase: true });
  return new ReflectionService(definition);
}

export async function startGrpcServer(core: Core, tls: TlsMaterial, host: string, port: number, log: Logger): Promise<GrpcServer> {
  const peers = createPeerRegistry(new X509Certificate(tls.caPem), log);
  const deps: GrpcDeps = { auth: core.auth, peers, log };
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    // No channelz service is served, so grpc-js need not trace every connection and call for one.
    'grpc.enable_channelz': 0,
    interceptors: [connectionInterceptor],
  });

  const services: [grpc.ServiceDefinition, grpc.UntypedServiceImplementation][] = [
    [withSharedWriter(loginMessages.LoginService, loginMessages), createLoginService(deps)],
    [withSharedWriter(tenantMessages.TenantService, tenantMessages), createTenantService(deps, core)],
    [withSharedWriter(gatewayMessages.GatewayService, gatewayMessages), createGatewayService(deps, core)],
    [withSharedWriter(masterMessages.MasterService, masterMessages), createMasterService(deps, core)],
  ];
  for (const [definition, implementation] of services) {
    server.addService(definition, implementation);
    server.addService(legacyAlias(definition), implementation);
  }
  peers.onDisconnect((peer) => core.sessions.closePeer(peer));

  const health = new HealthImplementation(
    Object.fromEntries(['', 'gsdk.login.Login', 'gsdk.tenant.Tenant', 'gsdk.gateway.Gateway', 'gsdk.master.Master'].map((s) => [s, 'SERVING'])),
  );
  health.addToServer(server);
  reflection().addToServer(server);

  // Health follows the store: NOT_SERVING while the database does not answer, SERVING again when it does.
  let draining = false;
  const probe = setInterval(() => {
    core.store.ping().then(
      () => !draining && health.setStatus('', 'SERVING'),
      () => !draining && health.setStatus('', 'NOT_SERVING'),
    );
  }, 1000);
  probe.unref();

  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, serverCredentials(tls), (err, p) => (err ? reject(err) : resolve(p)));
  });
  peers.attach(server);

  return {
    port: boundPort,
    peers,
    drain(graceMs) {
      draining = true;
      clearInterval(probe);
      health.setStatus('', 'NOT_SERVING');
      core.hub.close();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn({ graceMs }, 'grace period over: closing remaining calls');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

/**
 * Composition root of a running gateway: config → store → dev PKI (first start only) → core →
 * gRPC door. `close()` drains in-flight calls, then releases everything.
 */
import { Logger } from 'pino';
import { Config } from './config';
import { Clock, systemClock } from './core/clock';
import { Core, createCore } from './core/create-core';
import { GrpcServer, startGrpcServer } from './grpc/grpc-server';
import { startHttpServer } from './http/http-server';
import { loadAuthority } from './pki/authority';
import { openStore } from './store/open-store';
import { loadTlsMaterial } from './tls-material';
import { ensureDevPki } from './dev-pki';

export interface RunningGateway {
  grpcPort: number;
  /** Undefined when the HTTP bridge is off (GATEWAY_HTTP_PORT=-1). */
  httpPort?: number;
  core: Core;
  grpc: GrpcServer;
  close(): Promise<void>;
}

export async function startGateway(config: Config, log: Logger, clock: Clock = systemClock): Promise<RunningGateway> {
  const store = await openStore(config);
  let core: Core | undefined;
  try {
    await ensureDevPki(config, store, log);
    const tls = loadTlsMaterial(config.certDir, clock());
    const authority = tls.caKeyPem ? loadAuthority(tls.caPem, tls.caKeyPem) : undefined;
    if (!authority) log.warn({ certDir: config.certDir }, 'no ca_key.pem: CreateCertificate is unavailable');
    core = await createCore({
      store,
      clock,
      log,
      tokenIssuer: config.tokenIssuer,
      tokenTtlSeconds: config.tokenTtlSeconds,
      authority,
      passwordCost: { memoryKib: config.passwordMemoryKib, timeCost: config.passwordTimeCost, parallelism: 1 },
      lockoutThreshold: config.lockoutThreshold,
      lockoutSeconds: config.lockoutSeconds,
      presence: { heartbeatMs: config.presenceHeartbeatMs },
      statusSubscribersPerTenant: config.statusSubscribersPerTenant,
    });
    const grpc = await startGrpcServer(core, tls, config.grpcHost, config.grpcPort, log, {
      maxConnections: config.grpcMaxConnections,
      handshakeTimeoutMs: config.grpcHandshakeTimeoutMs,
      maxConcurrentStreams: config.grpcMaxConcurrentStreams,
      idleTimeoutMs: config.grpcIdleTimeoutMs,
      maxConnectionsPerCertificate: config.grpcMaxConnectionsPerCertificate,
      maxHandshakesPerAddress: config.grpcMaxHandshakesPerAddress,
    });
    const http = config.httpPort >= 0 ? await startHttpServer({ core, config, log }, config.httpHost, config.httpPort, log) : undefined;
    log.info({ host: config.grpcHost, port: grpc.port, httpPort: http?.port, dataDir: config.dataDir, certDir: config.certDir }, 'master gateway serving');
    const started = core;
    return {
      grpcPort: grpc.port,
      httpPort: http?.port,
      core: started,
      grpc,
      async close() {
        await Promise.all([grpc.drain(config.shutdownGraceMs), http?.close()]);
        await started.close();
        await store.close();
      },
    };
  } catch (err) {
    await core?.close();
    await store.close();
    throw err;
  }
}

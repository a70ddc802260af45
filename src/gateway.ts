/**
 * Composition root of a running gateway: config → permission check → store → dev PKI (first start
 * only) → system secret → core → gRPC door → HTTP bridge → TLS reloads and expiry warnings. `close()`
 * drains in-flight calls, then releases everything.
 */
import { X509Certificate } from 'node:crypto';
import { Logger } from 'pino';
import { Config, ENV_NAMES } from './config';
import { Clock, systemClock } from './core/clock';
import { Core, createCore } from './core/create-core';
import { coreSettings } from './core-settings';
import { GrpcServer, startGrpcServer } from './grpc/grpc-server';
import { HttpServer, startHttpServer } from './http/http-server';
import { HttpTls, loadHttpTls } from './http/http-tls';
import { asListenFailure } from './listen-failure';
import { Authority, loadAuthority } from './pki/authority';
import { openStore } from './store/open-store';
import { relayChanges, Siblings } from './store/relay-changes';
import { loadTlsMaterial, ServerTls } from './tls-material';
import { ensureDevPki, needsDevPki } from './dev-pki';
import { checkPrivatePaths, privatePaths } from './private-files';
import { loadSecretBox } from './system-secrets';
import { VERSION } from './version';
import { createTlsReloader, ReloadOutcome, TlsReloader } from './tls-reload';
import { createExpiryWarnings, ExpiryWarnings, WatchedCertificate } from './expiry-warnings';
import { setServerTls } from './http/node-server';
import { CA_BASE, pairFiles, SERVER_BASE } from './pki/cert-dir';
import { createGatewayMetrics, GatewayMetrics } from './ops/gateway-metrics';
import { OpsServer, startOpsServer } from './ops/ops-server';
import { shareWithPrimary } from './ops/cluster-metrics';
import { instrumentStore } from './ops/instrument-store';
import { certificateValidity, createReadiness } from './ops/readiness';

export interface RunningGateway {
  grpcPort: number;
  /** Undefined when the HTTP bridge is off (GATEWAY_HTTP_PORT=-1). */
  httpPort?: number;
  /** The operations listener's port (/metrics, /healthz, /readyz); undefined when it is off or the primary serves it. */
  opsPort?: number;
  /** Undefined when the operations listener is off (GATEWAY_OPS_PORT=-1): nothing is counted then. */
  metrics?: GatewayMetrics;
  core: Core;
  grpc: GrpcServer;
  /**
   * Reads the TLS files again (SIGHUP; a change in the certificate directory does the same by
   * itself): good ones are served to new connections, bad ones refused with a warning.
   */
  reloadTls(trigger: string): ReloadOutcome;
  /** The server certificate and CA certificates in force (for expiry and metrics). */
  tls(): ServerTls;
  close(): Promise<void>;
}

/** What the expiry warnings look at: the server certificate, every CA of ca.crt, the HTTPS bridge's own certificate. */
function watchedCertificates(config: Config, tls: ServerTls, httpTls: HttpTls | undefined): WatchedCertificate[] {
  const list: WatchedCertificate[] = [
    { role: 'server', file: pairFiles(config.certDir, SERVER_BASE).cert, cert: tls.server },
    ...tls.cas.map((cert) => ({ role: 'ca' as const, file: pairFiles(config.certDir, CA_BASE).cert, cert })),
  ];
  if (httpTls && config.httpCert) list.push({ role: 'https', file: config.httpCert, cert: new X509Certificate(httpTls.certPem) });
  return list;
}

/**
 * 'listen': this process serves the operations listener. 'primary': a worker of `serve --workers N`:
 * it keeps its metrics for the primary, which serves one listener for all (src/cli/cluster.ts).
 */
export type OpsRole = 'listen' | 'primary';

/** `siblings`: the other workers of `serve --workers N`, told of this one's changes before they are acknowledged. */
export async function startGateway(config: Config, log: Logger, clock: Clock = systemClock, siblings?: Siblings, opsRole: OpsRole = 'listen'): Promise<RunningGateway> {
  needsDevPki(config); // No CA and none to make: refuse before the store is opened (and made).
  checkPrivatePaths(privatePaths(config));
  const metrics = config.opsPort >= 0 ? createGatewayMetrics(clock) : undefined;
  const opened = await openStore(config, { clock, log, checkpointInWorker: true });
  // Timed and counted at its boundary, under the relay: a wait for the siblings is no store time.
  const measured = metrics ? instrumentStore(opened, metrics.store) : opened;
  const store = siblings ? relayChanges(measured, siblings) : measured;
  let core: Core | undefined;
  let grpc: GrpcServer | undefined;
  let http: HttpServer | undefined;
  let ops: OpsServer | undefined;
  let readiness: ReturnType<typeof createReadiness> | undefined;
  try {
    await ensureDevPki(config, store, log);
    const secretBox = await loadSecretBox(config, store, log);
    const tls = loadTlsMaterial(config.certDir, clock());
    // Checked before anything listens, so a bad HTTPS certificate never leaves a half-started gateway.
    const httpTls = config.httpPort >= 0 ? loadHttpTls(config, tls, clock()) : undefined;
    const authority = tls.caKeyPem ? loadAuthority(tls.caPem, tls.caKeyPem) : undefined;
    if (!authority) log.warn({ certDir: config.certDir }, 'no ca_key.pem: CreateCertificate is unavailable');
    core = await createCore({ ...coreSettings(config), store, clock, log, authority, secretBox, metrics: metrics?.core });
    // The certificates in force: those read at start, then whatever each reload put in force.
    let inForce: () => ServerTls = () => tls;
    const certificates = () => [certificateValidity('server', inForce().server), ...inForce().cas.map((ca) => certificateValidity('ca', ca))];
    readiness = createReadiness({ ping: () => store.ping(), clock, certificates });
    // Before listening: the changes other workers made while this one was starting are in force first.
    const joined = core;
    await siblings?.join((topic) => joined.applyChange(topic));
    grpc = await startGrpcServer(core, tls, config.grpcHost, config.grpcPort, log, {
      maxConnections: config.grpcMaxConnections,
      handshakeTimeoutMs: config.grpcHandshakeTimeoutMs,
      maxConcurrentStreams: config.grpcMaxConcurrentStreams,
      idleTimeoutMs: config.grpcIdleTimeoutMs,
      maxConnectionsPerCertificate: config.grpcMaxConnectionsPerCertificate,
      maxHandshakesPerAddress: config.grpcMaxHandshakesPerAddress,
    }, { readiness, metrics, tlsRefused: metrics?.tlsRefused }).catch((err: unknown) => {
      throw asListenFailure('gRPC', config.grpcHost, config.grpcPort, ENV_NAMES.grpcPort, err);
    });
    if (config.httpPort >= 0) http = await startHttpServer({ core, config, log, metrics }, config.httpHost, config.httpPort, log, httpTls);
    const [started, grpcServer, httpServer] = [core, grpc, http];
    const httpTarget = httpServer && httpTls ? { setTls: (next: HttpTls) => setServerTls(httpServer.app.server, next) } : undefined;
    let expiry: ExpiryWarnings | undefined;
    // The core holds this object: a reloaded CA key (a rollover) is copied into it, so CreateCertificate issues with it.
    const authorityTarget = authority ? { set: (next: Authority) => Object.assign(authority, next) } : undefined;
    const reloader: TlsReloader = createTlsReloader(config, { tls, httpTls }, { grpc: grpcServer, http: httpTarget, authority: authorityTarget }, clock, log, () =>
      expiry?.check(),
    );
    expiry = createExpiryWarnings(() => watchedCertificates(config, reloader.current().tls, reloader.current().httpTls), clock, log);
    expiry.check();
    reloader.watch();
    inForce = () => reloader.current().tls;
    const warnings = expiry;
    if (metrics) {
      const [grpcDoor, started, bridge] = [grpc, core, http];
      metrics.gauges({
        grpcConnections: () => grpcDoor.connections(),
        deviceGateways: () => started.sessions.count(),
        httpConnections: () => new Promise((resolve) => (bridge ? bridge.app.server.getConnections((err, n) => resolve(err ? undefined : n)) : resolve(undefined))),
        certificates,
      });
      if (opsRole === 'primary') shareWithPrimary(metrics);
    }
    if (metrics && opsRole === 'listen') {
      const ready = readiness;
      ops = await startOpsServer({ registry: metrics.registry, notReady: () => ready.reasons() }, config.opsHost, config.opsPort, log).catch((err: unknown) => {
        throw asListenFailure('operations', config.opsHost, config.opsPort, ENV_NAMES.opsPort, err);
      });
    }
    readiness.listening();
    log.info({ host: config.grpcHost, port: grpc.port, httpPort: http?.port, httpTls: http ? Boolean(httpTls) : undefined, opsPort: ops?.port, dataDir: config.dataDir, certDir: config.certDir, version: VERSION }, 'master gateway serving');
    const [opsServer, ready] = [ops, readiness];
    return {
      grpcPort: grpcServer.port,
      httpPort: httpServer?.port,
      opsPort: opsServer?.port,
      metrics,
      core: started,
      grpc: grpcServer,
      reloadTls: (trigger) => reloader.reload(trigger),
      tls: () => reloader.current().tls,
      async close() {
        // Not ready from the first moment of the drain; the listener answers (503) until the doors are closed.
        ready.draining();
        reloader.close();
        warnings.close();
        await Promise.all([grpcServer.drain(config.shutdownGraceMs), httpServer?.close()]);
        await opsServer?.close();
        ready.stop();
        await started.close();
        await store.close();
      },
    };
  } catch (err) {
    // Whatever did start is stopped: a gateway that cannot serve on every door does not serve at all.
    await Promise.all([grpc?.drain(0), http?.close(), ops?.close()]);
    readiness?.stop();
    await core?.close();
    await store.close();
    throw err;
  }
}

/**
 * The operations listener: plain HTTP for Prometheus and load-balancer / Kubernetes probes. It carries
 * no credential and asks for none (bind it to a private address: 127.0.0.1 by default).
 *   GET /metrics  Prometheus text format
 *   GET /healthz  200 while the process runs
 *   GET /readyz   200 when ready (the same answer as the gRPC health service), else 503 with the reasons
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Logger } from 'pino';
import { listenOn } from '../listen-failure';

/**
 * Scrapers and probes need a handful of connections; anything past this is refused at accept, so
 * whoever reaches the port cannot make the gateway hold sockets without end.
 */
export const OPS_MAX_CONNECTIONS = 64;

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** A prom-client registry, or the primary's gathering of its workers' registries. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface OpsSources {
  registry: MetricsSource;
  /** Why the gateway is not ready; empty when it is. */
  notReady(): string[] | Promise<string[]>;
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function answer(sources: OpsSources, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (path === '/metrics') {
    const text = await sources.registry.metrics();
    res.writeHead(200, { 'content-type': sources.registry.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
  } else if (path === '/healthz') {
    json(res, 200, { status: 'alive' });
  } else if (path === '/readyz') {
    const reasons = await sources.notReady();
    json(res, reasons.length === 0 ? 200 : 503, reasons.length === 0 ? { status: 'ready' } : { status: 'not ready', reasons });
  } else {
    json(res, 404, { error: 'not_found', paths: ['/metrics', '/healthz', '/readyz'] });
  }
}

export async function startOpsServer(sources: OpsSources, host: string, port: number, log: Logger): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    answer(sources, req, res).catch((err: unknown) => {
      log.error({ err, path: req.url }, 'operations listener failed to answer');
      if (!res.headersSent) json(res, 500, { error: 'server_error' });
      else res.destroy();
    });
  });
  // Scrapers and probes keep connections briefly; none may hold the process open at shutdown.
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 10_000;
  server.headersTimeout = 5000;
  server.maxConnections = OPS_MAX_CONNECTIONS;
  const bound = await listenOn(server, host, port);
  server.on('error', (err) => log.error({ err }, 'operations listener error'));
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

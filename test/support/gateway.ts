/** A real gateway on port 0 with a PKI and an embedded database made for the test, and a movable clock. */
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { Config, loadConfig } from '../../src/config';
import { RunningGateway, startGateway } from '../../src/gateway';
import { createLogger } from '../../src/logger';
import { trust } from './http';
import { makeTestPki, TestPki } from './pki';

export interface FakeClock {
  now: number;
  advance(ms: number): void;
}

export interface TestGateway {
  port: number;
  /** Base URL of the HTTP bridge, e.g. https://127.0.0.1:41234 (its CA trusted by support/http) */
  http: string;
  address: string;
  pki: TestPki;
  gateway: RunningGateway;
  clock: FakeClock;
  /** Every log line the gateway wrote. */
  logs: string[];
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  tenants?: { tenantId: string; gatewayIds?: string[] }[];
  tokenTtlSeconds?: number;
  pki?: TestPki;
  config?: Partial<Record<keyof Config, unknown>>;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const pki = options.pki ?? makeTestPki();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const clock: FakeClock = {
    now: Date.now(),
    advance(ms) {
      this.now += ms;
    },
  };
  const config = loadConfig(
    {},
    {
      certDir: join(pki.dir, 'certs'),
      dataDir: join(pki.dir, 'data'),
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
      shutdownGraceMs: 2000,
      httpHost: '127.0.0.1',
      httpPort: 0,
      // A cheap hash keeps tests fast; the cost itself is measured in bench/.
      passwordMemoryKib: 1024,
      passwordTimeCost: 1,
      // Test files send many failing requests from 127.0.0.1; the per-address limit has its own tests.
      httpFailuresPerMinute: 1_000_000,
      // Any free port: every test gateway counts and answers probes as a deployed one does.
      opsPort: 0,
      ...options.config,
    },
  );
  const gateway = await startGateway(config, createLogger('debug', sink), () => clock.now);
  if (options.tenants?.length) {
    await gateway.core.store.addTenants(options.tenants.map((t) => ({ tenantId: t.tenantId, gatewayIds: t.gatewayIds ?? [] })));
  }
  return {
    port: gateway.grpcPort,
    http: config.httpTls ? trust(`https://127.0.0.1:${gateway.httpPort}`, pki.caPem) : `http://127.0.0.1:${gateway.httpPort}`,
    address: `localhost:${gateway.grpcPort}`,
    pki,
    gateway,
    clock,
    logs,
    async close() {
      await gateway.close();
      if (!options.pki) pki.cleanup();
    },
  };
}

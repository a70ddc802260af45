/**
 * /metrics after real calls, read as Prometheus reads it: the latency histograms are consistent
 * (cumulative buckets, +Inf = _count = the calls counted), token checks tell memory from store,
 * streams are counted open and closed, and the store's latency and failures show.
 */
import * as grpc from '@grpc/grpc-js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayService } from '../../src/gen/gsdk/gateway/gateway';
import { MasterService } from '../../src/gen/gsdk/master/master';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { closeAllClients, codeOf, loginClient, makeClient, metadataWith, unary } from '../support/clients';
import { fetchOps, histogramProblems, parseExposition, Sample, valueOf } from '../support/exposition';
import { startTestGateway, TestGateway } from '../support/gateway';
import { http } from '../support/http';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme', gatewayIds: ['gw-1', 'gw-2'] }] });
  await gw.gateway.core.identity.users.add({ username: 'olga', tenantId: 'acme', password: 'olga password 1' });
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

async function scrape(): Promise<{ samples: Sample[]; types: Map<string, string> }> {
  const res = await fetchOps(gw.gateway.opsPort!, '/metrics');
  expect(res.status).toBe(200);
  const parsed = parseExposition(res.body);
  expect(histogramProblems(parsed.samples, parsed.types)).toEqual([]);
  return parsed;
}

/** Scrapes until `done` holds (a stream's end reaches the server a moment after the client cancels). */
async function scrapeUntil(done: (samples: Sample[]) => boolean): Promise<Sample[]> {
  for (let i = 0; i < 100; i++) {
    const { samples } = await scrape();
    if (done(samples)) return samples;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the metric never showed the expected value');
}

async function tenantSession() {
  const pair = gw.pki.tenant('acme');
  const login = loginClient(gw.address, gw.pki.caPem, pair);
  const { jwtToken } = await unary<LoginResponse>(login, 'login', { tenantCert: pair.certPem });
  return { pair, login, jwtToken, gateways: makeClient(GatewayService, gw.address, gw.pki.caPem, pair) };
}

it('gRPC latency histograms agree with the call counts: +Inf = _count = calls, buckets cumulative, _sum within them', async () => {
  const before = (await scrape()).samples;
  const { login, pair, jwtToken, gateways } = await tenantSession();
  for (let i = 0; i < 5; i++) await unary(gateways, 'getList', {}, metadataWith(jwtToken));
  await codeOf(unary(gateways, 'getList', {}, metadataWith('not-a-token')));
  await unary(login, 'login', { tenantCert: pair.certPem });
  const { samples } = await scrape();

  for (const [method, calls] of [['Gateway.GetList', 6], ['Login.Login', 2]] as const) {
    const delta = (name: string, labels: Record<string, string>) => valueOf(samples, name, labels) - valueOf(before, name, labels);
    expect(delta('gateway_grpc_calls_total', { method })).toBe(calls);
    expect(delta('gateway_grpc_call_duration_seconds_count', { method })).toBe(calls);
    expect(delta('gateway_grpc_call_duration_seconds_bucket', { method, le: '+Inf' })).toBe(calls);
    // Every call here took more than nothing and less than the largest bucket.
    expect(delta('gateway_grpc_call_duration_seconds_sum', { method })).toBeGreaterThan(0);
    expect(delta('gateway_grpc_call_duration_seconds_bucket', { method, le: '10' })).toBe(calls);
  }
  expect(valueOf(samples, 'gateway_grpc_calls_total', { method: 'Gateway.GetList', code: String(grpc.status.UNAUTHENTICATED) })).toBe(1);
});

it('token checks: answered from memory while nothing changed, from the store once a revocation moved the epoch', async () => {
  const { login, pair, jwtToken, gateways } = await tenantSession();
  const { jwtToken: second } = await unary<LoginResponse>(login, 'login', { tenantCert: pair.certPem });
  const checks = async () => {
    const { samples } = await scrape();
    return { memory: valueOf(samples, 'gateway_token_checks_total', { source: 'memory' }), store: valueOf(samples, 'gateway_token_checks_total', { source: 'store' }) };
  };

  const s0 = await checks();
  for (let i = 0; i < 3; i++) await unary(gateways, 'getList', {}, metadataWith(jwtToken));
  const s1 = await checks();
  expect(s1).toEqual({ memory: s0.memory + 3, store: s0.store });

  // Any logout moves the revocation epoch: the next call with jwtToken asks the store, the one after does not.
  await unary(login, 'logout', {}, metadataWith(second));
  const s2 = await checks();
  await unary(gateways, 'getList', {}, metadataWith(jwtToken));
  const s3 = await checks();
  expect(s3).toEqual({ memory: s2.memory, store: s2.store + 1 });
  await unary(gateways, 'getList', {}, metadataWith(jwtToken));
  expect(await checks()).toEqual({ memory: s3.memory + 1, store: s3.store });
});

it('streams: a status stream counts as started and open until cancelled; a refused one starts and ends at once', async () => {
  const { jwtToken, gateways } = await tenantSession();
  const method = 'Gateway.SubscribeStatus';
  const open = (samples: Sample[]) => valueOf(samples, 'gateway_grpc_open_streams', { method });
  const started = (samples: Sample[]) => valueOf(samples, 'gateway_grpc_streams_total', { method });
  const before = (await scrape()).samples;
  expect(open(before)).toBe(0);

  const subscribe = gateways.subscribeStatus as (request: unknown, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>;
  const stream = subscribe.call(gateways, { queueSize: 0 }, metadataWith(jwtToken));
  stream.on('error', () => undefined);
  await new Promise((resolve) => stream.once('metadata', resolve));
  const during = await scrapeUntil((s) => open(s) === 1);
  expect(started(during)).toBe(started(before) + 1);

  stream.cancel();
  await scrapeUntil((s) => open(s) === 0);

  // No token: the handler refuses the stream, which is counted as started and is not left open.
  const refused = subscribe.call(gateways, { queueSize: 0 }, new grpc.Metadata());
  const status = await new Promise<grpc.status>((resolve) => refused.on('error', (e: grpc.ServiceError) => resolve(e.code)));
  expect(status).toBe(grpc.status.UNAUTHENTICATED);
  const after = await scrapeUntil((s) => started(s) === started(before) + 2);
  expect(open(after)).toBe(0);
});

it('streams: a device gateway\'s command and log channels count as open while they last', async () => {
  const pair = gw.pki.gateway('acme', 'gw-1');
  const master = makeClient(MasterService, gw.address, gw.pki.caPem, pair);
  await unary(master, 'subscribe', { gatewayCert: pair.certPem });
  const open = (samples: Sample[], method: string) => valueOf(samples, 'gateway_grpc_open_streams', { method });

  const chan = (master.initCommandChan as () => grpc.ClientDuplexStream<unknown, unknown>)();
  chan.on('error', () => undefined);
  await new Promise((resolve) => chan.once('data', resolve));
  let answered!: () => void;
  const logAnswer = new Promise<void>((resolve) => (answered = resolve));
  const log = (master.initLogChan as (md: grpc.Metadata, cb: () => void) => grpc.ClientWritableStream<unknown>)(new grpc.Metadata(), () => answered());
  log.write({ masterChanID: 'log-1', event: undefined });
  const during = await scrapeUntil((s) => open(s, 'Master.InitLogChan') === 1);
  expect(open(during, 'Master.InitCommandChan')).toBe(1);
  expect(valueOf(during, 'gateway_device_gateways_connected', {})).toBe(1);

  log.end();
  await logAnswer;
  await scrapeUntil((s) => open(s, 'Master.InitLogChan') === 0);
  chan.end();
  const after = await scrapeUntil((s) => open(s, 'Master.InitCommandChan') === 0);
  expect(valueOf(after, 'gateway_grpc_streams_total', { method: 'Master.InitLogChan' })).toBe(1);
});

it('store: calls timed by operation; a store that stopped answering counts its failures by area and code', async () => {
  const { samples } = await scrape();
  expect(valueOf(samples, 'gateway_store_call_duration_seconds_count', { operation: 'read' })).toBeGreaterThan(0);
  expect(valueOf(samples, 'gateway_store_call_duration_seconds_count', { operation: 'write' })).toBeGreaterThan(0);
  expect(valueOf(samples, 'gateway_store_errors_total', { code: 'ERR_STORE_UNAVAILABLE' })).toBe(0);

  // The database files are taken away: a password login cannot reach the store (503).
  for (const name of ['gateway.db', 'gateway.db-wal', 'gateway.db-shm']) rmSync(join(gw.pki.dir, 'data', name), { force: true });
  // The store finds its files gone at its next health check (readiness asks once a second).
  while ((await fetchOps(gw.gateway.opsPort!, '/readyz')).status !== 503) await new Promise((resolve) => setTimeout(resolve, 50));
  const res = await http(gw.http, 'POST', '/Login', { body: { UserName: 'olga', TenantName: 'acme', Password: 'olga password 1' } });
  expect(res.status).toBe(503);
  const after = (await scrape()).samples;
  const unavailable = (area: string) => valueOf(after, 'gateway_store_errors_total', { area, code: 'ERR_STORE_UNAVAILABLE' });
  // Readiness's ping, then the login's first store call: its attempt counted (lockout) or its user looked up.
  expect(unavailable('health')).toBeGreaterThanOrEqual(1);
  expect(unavailable('lockout') + unavailable('users')).toBeGreaterThanOrEqual(1);
  for (const s of after.filter((x) => x.name === 'gateway_store_errors_total')) expect(Object.keys(s.labels).sort()).toEqual(['area', 'code']);
});

/**
 * The operations listener as its users meet it: Prometheus scrapes /metrics (text format), a
 * Kubernetes probe GETs /healthz and /readyz, and /readyz agrees with the gRPC health service.
 */
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { closeAllClients, codeOf, loginClient, makeClient, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';
import { healthBecomes } from '../support/health';
import { fetchOps, parseExposition, valueOf as value } from '../support/exposition';
import { http } from '../support/http';

let gw: TestGateway;
let ops: number;
beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme-tenant-7' }] });
  ops = gw.gateway.opsPort!;
  await gw.gateway.core.identity.users.add({ username: 'fay-the-operator', tenantId: 'acme-tenant-7', password: 'fay password 1' });
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

const scrape = async () => {
  const res = await fetchOps(ops, '/metrics');
  expect(res.status).toBe(200);
  expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
  return { ...parseExposition(res.body), text: res.body };
};

it('listens on its own port, bound to the configured host', () => {
  expect(ops).toBeGreaterThan(0);
  expect([gw.port, Number(new URL(gw.http).port)]).not.toContain(ops);
});

it('/metrics: process metrics, build_info, and gRPC Login counted by method and code', async () => {
  const before = (await scrape()).samples;
  const acme = gw.pki.tenant('acme-tenant-7');
  const client = loginClient(gw.address, gw.pki.caPem, acme);
  const { jwtToken } = await unary<LoginResponse>(client, 'login', { tenantCert: acme.certPem });
  // Refused: the PEM in the request is not the connection's certificate.
  const other = gw.pki.tenant('acme-tenant-7');
  const refused = await codeOf(unary(client, 'login', { tenantCert: other.certPem }));
  expect(refused.code).not.toBe(grpc.status.OK);

  const { samples, types, text } = await scrape();
  expect(types.get('process_cpu_seconds_total')).toBe('counter');
  expect(types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  expect(samples.find((s) => s.name === 'build_info')?.labels.version).toMatch(/^\d+\.\d+\.\d+/);
  const calls = (code: number) => value(samples, 'gateway_grpc_calls_total', { method: 'Login.Login', code: String(code) }) - value(before, 'gateway_grpc_calls_total', { method: 'Login.Login', code: String(code) });
  expect(calls(grpc.status.OK)).toBe(1);
  expect(calls(refused.code)).toBe(1);
  expect(types.get('gateway_grpc_call_duration_seconds')).toBe('histogram');
  expect(value(samples, 'gateway_grpc_call_duration_seconds_count', { method: 'Login.Login' })).toBeGreaterThanOrEqual(2);
  expect(value(samples, 'gateway_logins_total', { door: 'grpc', dialect: 'gsdk', outcome: 'success' })).toBeGreaterThanOrEqual(1);
  expect(value(samples, 'gateway_logins_total', { door: 'grpc', dialect: 'gsdk', outcome: 'failure' })).toBeGreaterThanOrEqual(1);
  expect(value(samples, 'gateway_certificate_expiry_seconds', { certificate: 'server' })).toBeGreaterThan(0);
  expect(value(samples, 'gateway_certificate_expiry_seconds', { certificate: 'ca' })).toBeGreaterThan(0);
  expect(value(samples, 'gateway_grpc_open_connections', {})).toBeGreaterThanOrEqual(1);
  expect(samples.some((s) => s.name === 'gateway_http_open_connections')).toBe(true);
  expect(value(samples, 'gateway_device_gateways_connected', {})).toBe(0);
  expect(text).not.toContain(jwtToken);
});

it('/metrics: an HTTP login counts by dialect, route pattern and status, and as a login; no name, tenant or token', async () => {
  const ok = await http(gw.http, 'POST', '/Login', { body: { UserName: 'fay-the-operator', TenantName: 'acme-tenant-7', Password: 'fay password 1' } });
  expect(ok.status).toBe(200);
  const bad = await http(gw.http, 'POST', '/Login', { body: { UserName: 'fay-the-operator', TenantName: 'acme-tenant-7', Password: 'wrong password 1' } });
  expect(bad.status).toBeGreaterThanOrEqual(400);
  await http(gw.http, 'GET', '/api/no/such/path/fay-the-operator');

  const { samples, text } = await scrape();
  const loginRoute = samples.find((s) => s.name === 'gateway_http_requests_total' && s.labels.dialect === 'cognito' && s.labels.status === '200');
  expect(loginRoute?.labels.route).toMatch(/^\/Login\/?$/);
  expect(value(samples, 'gateway_http_requests_total', { dialect: 'cognito', route: loginRoute!.labels.route, status: String(bad.status) })).toBe(1);
  expect(value(samples, 'gateway_http_requests_total', { route: 'unmatched', dialect: 'none' })).toBeGreaterThanOrEqual(1);
  expect(value(samples, 'gateway_http_request_duration_seconds_count', { dialect: 'cognito' })).toBeGreaterThanOrEqual(2);
  expect(value(samples, 'gateway_logins_total', { door: 'http', dialect: 'cognito', outcome: 'success' })).toBe(1);
  expect(value(samples, 'gateway_logins_total', { door: 'http', dialect: 'cognito', outcome: 'failure' })).toBe(1);
  for (const secret of ['fay-the-operator', 'acme-tenant-7', 'fay password 1', String((ok.json as { cognitoToken?: { AccessToken?: string } })?.cognitoToken?.AccessToken ?? 'no-token-in-answer')]) {
    expect(text).not.toContain(secret);
  }
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
});

it('/healthz and /readyz answer as a Kubernetes probe expects, and agree with the gRPC health service', async () => {
  const health = makeClient(healthService as grpc.ServiceDefinition, gw.address, gw.pki.caPem, gw.pki.admin);
  expect(await healthBecomes(health, 'SERVING')).toBe('SERVING');
  expect((await fetchOps(ops, '/healthz')).status).toBe(200);
  const ready = await fetchOps(ops, '/readyz');
  expect(ready.status).toBe(200);
  expect(JSON.parse(ready.body)).toEqual({ status: 'ready' });
  expect((await fetchOps(ops, '/nothing')).status).toBe(404);
});

// Last: the store is taken away for good.
it('/readyz answers 503 with its reason once the store does not answer, as gRPC health says NOT_SERVING; /healthz stays 200', async () => {
  const health = makeClient(healthService as grpc.ServiceDefinition, gw.address, gw.pki.caPem, gw.pki.admin);
  const dir = join(gw.pki.dir, 'data');
  for (const name of ['gateway.db', 'gateway.db-wal', 'gateway.db-shm']) rmSync(join(dir, name), { force: true });
  expect(await healthBecomes(health, 'NOT_SERVING')).toBe('NOT_SERVING');
  const ready = await fetchOps(ops, '/readyz');
  expect(ready.status).toBe(503);
  expect(JSON.parse(ready.body)).toEqual({ status: 'not ready', reasons: ['store does not answer'] });
  expect((await fetchOps(ops, '/healthz')).status).toBe(200);
});

it('GATEWAY_OPS_PORT=-1: no listener, nothing counted', async () => {
  const off = await startTestGateway({ config: { opsPort: -1 } });
  try {
    expect(off.gateway.opsPort).toBeUndefined();
    expect(off.gateway.metrics).toBeUndefined();
  } finally {
    await off.close();
  }
});

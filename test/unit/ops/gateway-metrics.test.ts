import { createGatewayMetrics } from '../../../src/ops/gateway-metrics';

it('counts audited identity events as logins, lockouts, refresh reuse and revocations, with bounded labels', async () => {
  const metrics = createGatewayMetrics();
  metrics.core.identityEvent('login', 'failure', 'datarhei');
  metrics.core.identityEvent('lockout', 'locked', 'datarhei');
  metrics.core.identityEvent('refresh_reuse', 'incident', 'edr');
  metrics.core.identityEvent('revocation', 'success', 'oauth2');
  // An audited gRPC login is already counted by the door's call metric.
  metrics.core.identityEvent('login', 'success', 'grpc');
  const text = await metrics.registry.metrics();
  expect(text).toContain('gateway_logins_total{door="http",dialect="datarhei",outcome="failure"} 1');
  expect(text).toContain('gateway_lockouts_total{dialect="datarhei"} 1');
  expect(text).toContain('gateway_refresh_token_reuse_total{dialect="edr"} 1');
  expect(text).toContain('gateway_revocations_total{dialect="oauth2",outcome="success"} 1');
  expect(text).toContain('gateway_identity_events_total{event="lockout",outcome="locked",dialect="datarhei"} 1');
  expect(text).not.toContain('dialect="grpc",outcome');
});

it('counts gRPC calls per method and code from pre-resolved handles; totals survive repeated scrapes', async () => {
  const metrics = createGatewayMetrics();
  const login = metrics.grpcMethod('Login.Login');
  const start = performance.now();
  login.done(0, start);
  login.done(0, start);
  login.done(16, start);
  await metrics.registry.metrics();
  const text = await metrics.registry.metrics();
  expect(text).toContain('gateway_grpc_calls_total{method="Login.Login",code="0"} 2');
  expect(text).toContain('gateway_grpc_calls_total{method="Login.Login",code="16"} 1');
  expect(text).toContain('gateway_grpc_call_duration_seconds_count{method="Login.Login"} 3');
  expect(text).toContain('gateway_logins_total{door="grpc",dialect="gsdk",outcome="success"} 2');
  expect(text).toContain('gateway_logins_total{door="grpc",dialect="gsdk",outcome="failure"} 1');
});

it('gives seconds until each certificate expires', async () => {
  const metrics = createGatewayMetrics(() => 1_000_000);
  metrics.gauges({ certificates: () => [{ name: 'server', notAfter: 1_000_000 + 90_000 }] });
  expect(await metrics.registry.metrics()).toContain('gateway_certificate_expiry_seconds{certificate="server"} 90');
});

it('a handle asked for twice (a method or route named again) counts in the one series', async () => {
  const metrics = createGatewayMetrics();
  const start = performance.now();
  metrics.grpcMethod('Tenant.Add').done(0, start);
  metrics.grpcMethod('Tenant.Add').done(0, start);
  metrics.httpRoute('cognito', '/Login').done(200, 0.002);
  metrics.httpRoute('cognito', '/Login').done(401, 0.002);
  const text = await metrics.registry.metrics();
  expect(text).toContain('gateway_grpc_calls_total{method="Tenant.Add",code="0"} 2');
  expect(text.match(/gateway_grpc_call_duration_seconds_count\{method="Tenant.Add"\} 2/g)).toHaveLength(1);
  expect(text).toContain('gateway_http_requests_total{dialect="cognito",route="/Login",status="401"} 1');
  expect(text.match(/gateway_http_request_duration_seconds_count\{dialect="cognito",route="\/Login"\} 2/g)).toHaveLength(1);
});

it('counts token checks by source and streams open and started, from plain counters read at scrape time', async () => {
  const metrics = createGatewayMetrics();
  metrics.core.tokenChecks.memory += 5;
  metrics.core.tokenChecks.store += 1;
  const stream = metrics.grpcStream('Gateway.SubscribeStatus');
  stream.opened();
  stream.opened();
  stream.closed();
  const text = await metrics.registry.metrics();
  expect(text).toContain('gateway_token_checks_total{source="memory"} 5');
  expect(text).toContain('gateway_token_checks_total{source="store"} 1');
  expect(text).toContain('gateway_grpc_streams_total{method="Gateway.SubscribeStatus"} 2');
  expect(text).toContain('gateway_grpc_open_streams{method="Gateway.SubscribeStatus"} 1');
});

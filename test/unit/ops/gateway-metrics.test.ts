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

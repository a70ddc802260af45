import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { closeAllClients, codeOf, loginClient, makeClient, metadataWith, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';
import { reflectionList } from '../support/reflection';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }] });
});

afterAll(async () => {
  closeAllClients();
  await gw.close();
});

it('serves grpc.health.v1.Health/Check to any mTLS client', async () => {
  const client = makeClient(healthService as grpc.ServiceDefinition, gw.address, gw.pki.caPem, gw.pki.tenant('acme'));
  expect(await unary(client, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
  expect(await unary(client, 'Check', { service: 'gsdk.login.Login' })).toEqual({ status: 'SERVING' });
});

it('lists the G-SDK services through server reflection', async () => {
  const services = await reflectionList(gw.address, gw.pki.caPem, gw.pki.tenant('acme'));
  expect(services).toEqual(expect.arrayContaining(['gsdk.login.Login', 'gsdk.tenant.Tenant', 'gsdk.gateway.Gateway', 'gsdk.master.Master']));
});

it('never writes a token, a PEM or a private key to the log', async () => {
  const acme = gw.pki.tenant('acme');
  const client = loginClient(gw.address, gw.pki.caPem, acme);
  const { jwtToken } = await unary<LoginResponse>(client, 'login', { tenantCert: acme.certPem }, metadataWith('stale-token-value'));
  await codeOf(unary(client, 'login', { tenantCert: 'garbage' }));
  await codeOf(unary(client, 'logout', {}, metadataWith(`${jwtToken}x`)));
  await unary(client, 'logout', {}, metadataWith(jwtToken));
  const log = gw.logs.join('');
  expect(log).toContain('"msg":"login"');
  expect(log).toContain('"msg":"logout"');
  expect(log).toContain('call refused');
  for (const secret of [jwtToken, jwtToken.split('.')[2], 'stale-token-value', 'PRIVATE KEY', acme.certPem.split('\n')[2], acme.keyPem.split('\n')[2]]) {
    expect(log).not.toContain(secret);
  }
});

/** The gRPC door's log: one debug line per call, one line with a stable code per security refusal, no secret. */
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { closeAllClients, codeOf, loginClient, makeClient, metadataWith, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';
import { foreignTenant } from '../support/pki';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }] });
});

afterAll(async () => {
  closeAllClients();
  await gw.close();
});

type Line = Record<string, unknown>;
const lines = (): Line[] => gw.logs.map((l) => JSON.parse(l) as Line);

/** The lines written while `act` ran (a refused connection is logged as the server drops it, so wait a little for it). */
async function during(act: () => Promise<unknown>): Promise<Line[]> {
  const before = gw.logs.length;
  await act();
  await new Promise((res) => setTimeout(res, 50));
  return lines().slice(before);
}

it('logs one debug line per call: method, status name, duration, serial and tenant', async () => {
  const acme = gw.pki.tenant('acme');
  const client = makeClient(healthService as grpc.ServiceDefinition, gw.address, gw.pki.caPem, acme);
  const written = await during(() => unary(client, 'Check', { service: '' }));
  const calls = written.filter((l) => l.msg === 'gRPC call');
  expect(calls).toEqual([
    expect.objectContaining({ level: 20, method: '/grpc.health.v1.Health/Check', status: 'OK', ms: expect.any(Number), serial: expect.any(String), tenant: 'acme' }),
  ]);
});

it('a refused token: one info line with its ERR_ code, and the call line says UNAUTHENTICATED', async () => {
  const acme = gw.pki.tenant('acme');
  const client = loginClient(gw.address, gw.pki.caPem, acme);
  const { jwtToken } = await unary<LoginResponse>(client, 'login', { tenantCert: acme.certPem });
  const written = await during(() => codeOf(unary(client, 'logout', {}, metadataWith(`${jwtToken}x`))));
  const refusals = written.filter((l) => typeof l.code === 'string');
  expect(refusals).toEqual([expect.objectContaining({ level: 30, code: 'ERR_TOKEN_INVALID', msg: 'call refused', method: 'Login.Logout', serial: expect.any(String) })]);
  expect(written.filter((l) => l.msg === 'gRPC call')).toEqual([expect.objectContaining({ method: '/gsdk.login.Login/Logout', status: 'UNAUTHENTICATED', tenant: 'acme' })]);
  const log = gw.logs.join('');
  for (const secret of [jwtToken, jwtToken.split('.')[2]]) expect(log).not.toContain(secret);
});

it('a refused login: one info line with its ERR_ code', async () => {
  const acme = gw.pki.tenant('acme');
  const client = loginClient(gw.address, gw.pki.caPem, acme);
  const written = await during(() => codeOf(unary(client, 'login', { tenantCert: gw.pki.tenant('other').certPem })));
  expect(written.filter((l) => typeof l.code === 'string')).toEqual([expect.objectContaining({ level: 30, code: 'ERR_CERT_NOT_PEER', msg: 'call refused', method: 'Login.Login' })]);
});

it('a certificate refused at the handshake: one line with its ERR_ code and reason', async () => {
  const foreign = foreignTenant('acme');
  const client = loginClient(gw.address, gw.pki.caPem, foreign);
  const written = await during(() => codeOf(unary(client, 'login', { tenantCert: foreign.certPem })));
  expect(written.filter((l) => typeof l.code === 'string')).toEqual([
    expect.objectContaining({ level: 30, msg: 'TLS client refused', code: 'ERR_CERT_UNTRUSTED', reason: expect.any(String), remote: '127.0.0.1' }),
  ]);
});

it('a blacklisted certificate refused at the handshake: one warn line with its serial and tenant', async () => {
  const pair = gw.pki.tenant('acme');
  const serial = BigInt(`0x${new X509Certificate(pair.certPem).serialNumber}`);
  await gw.gateway.core.certificates.blacklistSerial(serial, { tenantId: 'acme', gatewayId: null });
  const client = loginClient(gw.address, gw.pki.caPem, pair);
  const written = await during(() => codeOf(unary(client, 'login', { tenantCert: pair.certPem })));
  expect(written.filter((l) => typeof l.code === 'string')).toEqual([
    expect.objectContaining({ level: 40, msg: 'TLS client refused', code: 'ERR_CERT_BLACKLISTED', serial: serial.toString(), tenant: 'acme' }),
  ]);
});

it('a call the client cancels gets its one debug line, with status CANCELLED', async () => {
  const acme = gw.pki.tenant('acme');
  const client = makeClient(healthService as grpc.ServiceDefinition, gw.address, gw.pki.caPem, acme);
  const before = gw.logs.length;
  const stream = (client.Watch as (r: unknown) => grpc.ClientReadableStream<unknown>)({ service: '' });
  stream.on('error', () => undefined);
  // The server answers a Watch with the current status at once: then it is surely running.
  await new Promise((resolve) => stream.once('data', resolve));
  stream.cancel();
  const watchLines = () => lines().slice(before).filter((l) => l.msg === 'gRPC call' && l.method === '/grpc.health.v1.Health/Watch');
  for (let i = 0; i < 200 && watchLines().length === 0; i++) await new Promise((res) => setTimeout(res, 10));
  // Anything grpc-js reports after the cancel does not add a second line.
  await new Promise((res) => setTimeout(res, 50));
  expect(watchLines()).toEqual([expect.objectContaining({ level: 20, status: 'CANCELLED', ms: expect.any(Number), serial: expect.any(String), tenant: 'acme' })]);
});

it('a Logout refused for its connection (the certificate blacklisted since it connected) is audited as a refused logout, not only logged', async () => {
  const pair = gw.pki.tenant('acme');
  const client = loginClient(gw.address, gw.pki.caPem, pair);
  const { jwtToken } = await unary<LoginResponse>(client, 'login', { tenantCert: pair.certPem });
  await gw.gateway.core.certificates.blacklistSerial(pair.serial, { tenantId: 'acme', gatewayId: null });
  expect((await codeOf(unary(client, 'logout', {}, metadataWith(jwtToken)))).code).toBe(grpc.status.UNAUTHENTICATED);
  const refused = async () => (await gw.gateway.core.store.queryAudit({ kind: 'logout', outcome: 'refused', actor: pair.serial.toString(), limit: 5 }));
  // gRPC login events are written in batches (every 250 ms).
  for (let i = 0; i < 100 && (await refused()).length === 0; i++) await new Promise((res) => setTimeout(res, 25));
  expect(await refused()).toEqual([expect.objectContaining({ event: 'logout', outcome: 'failure', dialect: 'grpc', tenantId: 'acme', detail: 'ERR_CERT_BLACKLISTED' })]);
});

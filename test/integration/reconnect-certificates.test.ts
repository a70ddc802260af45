/**
 * A client that reconnects with the same certificate is not read again: the gateway finds it by the
 * DER in the connection's TLS session. What a certificate may do must not be cached with it:
 * blacklisting, the token binding and a different certificate still count on the next connection.
 */
import * as grpc from '@grpc/grpc-js';
import * as peerModule from '../../src/core/peer';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { closeAllClients, codeOf, loginClient, makeClient, metadataWith, unary } from '../support/clients';
import { GatewayService } from '../../src/gen/gsdk/gateway/gateway';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
let reads: jest.SpyInstance;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme', gatewayIds: ['gw-1'] }, { tenantId: 'globex' }] });
  reads = jest.spyOn(peerModule, 'readClientCertificate');
});

afterAll(async () => {
  reads.mockRestore();
  closeAllClients();
  await gw.close();
});

/** Certificates the gateway parsed and checked (only the gateway reads client certificates). */
const gatewayReads = () => reads.mock.calls.length;

/** A Login over a new connection; how many times the gateway read a certificate the slow way for it. */
async function loginOnNewConnection(pair: { certPem: string; keyPem: string }) {
  const before = gatewayReads();
  const token = await unary<LoginResponse>(loginClient(gw.address, gw.pki.caPem, pair), 'login', { tenantCert: pair.certPem }).then((r) => r.jwtToken);
  return { token, slowReads: gatewayReads() - before };
}

it('reads a certificate once; later connections with it find it, another certificate is read', async () => {
  const acme = gw.pki.tenant('acme');
  const first = await loginOnNewConnection(acme);
  expect(first.slowReads).toBe(1);
  for (let i = 0; i < 3; i++) expect((await loginOnNewConnection(acme)).slowReads).toBe(0);
  expect((await loginOnNewConnection(gw.pki.tenant('globex'))).slowReads).toBe(1);
  // Another certificate of the same tenant is another certificate.
  expect((await loginOnNewConnection(gw.pki.tenant('acme'))).slowReads).toBe(1);
});

it('a token stays bound to its certificate, on new connections with a known certificate too', async () => {
  const acme = gw.pki.tenant('acme');
  const other = gw.pki.tenant('acme');
  const { token } = await loginOnNewConnection(acme);
  await loginOnNewConnection(other);
  // Same certificate, new connection: the token works.
  const same = makeClient(GatewayService, gw.address, gw.pki.caPem, acme);
  expect(await unary(same, 'getList', {}, metadataWith(token))).toEqual({ gatewayIDs: ['gw-1'] });
  // Another (known) certificate of the same tenant: the token is refused.
  const replay = makeClient(GatewayService, gw.address, gw.pki.caPem, other);
  const err = await codeOf(unary(replay, 'getList', {}, metadataWith(token)));
  expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
});

it('a certificate blacklisted after it was cached is refused at the next handshake', async () => {
  const acme = gw.pki.tenant('acme');
  await loginOnNewConnection(acme);
  expect((await loginOnNewConnection(acme)).slowReads).toBe(0);
  await gw.gateway.core.store.addBlacklist([{ serial: acme.serial, tenantId: 'acme', gatewayId: null, addedAt: 0 }]);
  await gw.gateway.core.directory.refresh('blacklist');
  const err = await codeOf(loginOnNewConnection(acme));
  expect(err.code).toBe(grpc.status.UNAVAILABLE);
});

it('a PEM that does not match the certificate is refused on a connection whose certificate is known', async () => {
  const acme = gw.pki.tenant('acme');
  await loginOnNewConnection(acme);
  const globex = gw.pki.tenant('globex');
  const err = await codeOf(unary(loginClient(gw.address, gw.pki.caPem, acme), 'login', { tenantCert: globex.certPem }));
  expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
  expect(err.details).toMatch(/not the certificate this connection presented/);
});

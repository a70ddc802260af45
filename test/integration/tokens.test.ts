import { status } from '@grpc/grpc-js';
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { AnyClient, closeAllClients, codeOf, decodeJwt, loginClient, metadataWith, unary } from '../support/clients';
import { ClientPair } from '../support/pki';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }, { tenantId: 'doomed' }], tokenTtlSeconds: 600 });
});

afterAll(async () => {
  closeAllClients();
  await gw.close();
});

async function session(pair: ClientPair = gw.pki.tenant('acme')): Promise<{ client: AnyClient; token: string; pair: ClientPair }> {
  const client = loginClient(gw.address, gw.pki.caPem, pair);
  const res = await unary<LoginResponse>(client, 'login', { tenantCert: pair.certPem });
  return { client, token: res.jwtToken, pair };
}

const logout = (client: AnyClient, token?: string) => unary(client, 'logout', {}, metadataWith(token));

async function expectUnauthenticated(call: Promise<unknown>, detail: RegExp): Promise<void> {
  const err = await codeOf(call);
  expect(err.code).toBe(status.UNAUTHENTICATED);
  expect(err.details).toMatch(detail);
}

describe('the token credential on protected calls', () => {
  it('is required: missing or empty token is UNAUTHENTICATED', async () => {
    const { client } = await session();
    await expectUnauthenticated(logout(client), /needs a token/);
    await expectUnauthenticated(logout(client, ''), /needs a token/);
  });

  it('a logged-out token fails on every later call, even on another connection with the same certificate', async () => {
    const a = await session();
    const b = loginClient(gw.address, gw.pki.caPem, a.pair);
    await logout(a.client, a.token);
    await expectUnauthenticated(logout(a.client, a.token), /revoked/);
    await expectUnauthenticated(logout(b, a.token), /revoked/);
  });

  it('is bound to the client certificate: replayed over a connection with another certificate it fails', async () => {
    const a = await session();
    const thief = loginClient(gw.address, gw.pki.caPem, gw.pki.tenant('acme'));
    await expectUnauthenticated(logout(thief, a.token), /another client certificate/);
    await logout(a.client, a.token);
  });

  it('a tampered token fails', async () => {
    const a = await session();
    const [h, p, s] = a.token.split('.');
    const claims = decodeJwt(a.token).payload;
    const forged = Buffer.from(JSON.stringify({ ...claims, tenant: 'administrator', role: 'administrator' })).toString('base64url');
    await expectUnauthenticated(logout(a.client, `${h}.${forged}.${s}`), /invalid/);
    const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
    await expectUnauthenticated(logout(a.client, `${h}.${p}.${flipped}`), /invalid/);
    await expectUnauthenticated(logout(a.client, 'not-a-jwt'), /malformed/);
  });

  it('alg "none", HS256 with the public key, and a foreign ES256 key under our kid all fail', async () => {
    const a = await session();
    const { header, payload } = decodeJwt(a.token);
    const none = jwt.sign(payload, '', { algorithm: 'none', header: { alg: 'none', kid: header.kid } as jwt.JwtHeader });
    await expectUnauthenticated(logout(a.client, none), /invalid|malformed/);
    const keyPem = gw.gateway.core.keys.verifying(header.kid!)!.export({ type: 'spki', format: 'pem' }).toString();
    const hs = jwt.sign(payload, keyPem, { algorithm: 'HS256', keyid: header.kid });
    await expectUnauthenticated(logout(a.client, hs), /invalid/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const foreign = jwt.sign(payload, privateKey, { algorithm: 'ES256', keyid: header.kid });
    await expectUnauthenticated(logout(a.client, foreign), /invalid/);
    await logout(a.client, a.token);
  });

  it('an expired token fails (time moved, not waited for); Login still works with it', async () => {
    const a = await session();
    const start = gw.clock.now;
    try {
      gw.clock.advance(601_000);
      await expectUnauthenticated(logout(a.client, a.token), /expired/);
      const again = await unary<LoginResponse>(a.client, 'login', { tenantCert: a.pair.certPem }, metadataWith(a.token));
      expect(decodeJwt(again.jwtToken).payload.iat).toBeGreaterThan(decodeJwt(a.token).payload.iat!);
    } finally {
      gw.clock.now = start;
    }
  });

  it('a token of a tenant that was deleted stops working', async () => {
    const a = await session(gw.pki.tenant('doomed'));
    await gw.gateway.core.store.deleteTenants(['doomed']);
    await expectUnauthenticated(logout(a.client, a.token), /no longer registered/);
  });

  it('a token whose certificate was blacklisted stops working', async () => {
    const a = await session();
    await gw.gateway.core.store.addBlacklist([{ serial: a.pair.serial, tenantId: 'acme', gatewayId: null, addedAt: 0 }]);
    await expectUnauthenticated(logout(a.client, a.token), /blacklisted/);
  });
});

/** External IdP logins (issue 10 §4): `exp` is required and bounded; failures do not tell the configured issuer or audience. */
import { createServer, Server } from 'node:http';
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { bearer, http } from '../support/http';
import { startTestGateway, TestGateway } from '../support/gateway';

const ISSUER = 'https://tenant-7f3a.idp.example/';
const AUDIENCE = 'restreamer-aud-91c2';

let gw: TestGateway;
let idpServer: Server;
let idpKey: KeyObject;

beforeAll(async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  idpKey = privateKey;
  idpServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'idp-1', alg: 'ES256', use: 'sig' }] }));
  });
  await new Promise<void>((r) => idpServer.listen(0, '127.0.0.1', r));
  gw = await startTestGateway({
    tenants: [{ tenantId: 'acme' }],
    config: {
      idpIssuer: ISSUER,
      idpJwks: `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}/jwks.json`,
      idpAudience: AUDIENCE,
      idpSubjects: ['auth0|alice=alice'],
      idpMaxTokenSeconds: 3600,
    },
  });
  await gw.gateway.core.identity.users.add({ username: 'alice', tenantId: 'acme', password: 'correct horse battery' });
});

afterAll(async () => {
  await gw.close();
  idpServer.close();
});

/** Claims are stamped with the gateway's (frozen) clock, so `exp` is measured against it. */
function idpToken(claims: Record<string, unknown>): string {
  const iat = Math.floor(gw.clock.now / 1000);
  const payload: Record<string, unknown> = { iss: ISSUER, aud: AUDIENCE, sub: 'auth0|alice', iat, exp: iat + 300, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return jwt.sign(payload, idpKey, { algorithm: 'ES256', keyid: 'idp-1' });
}

const idpLogin = (token: string) => http(gw.http, 'POST', '/api/login', { headers: bearer(token) });

describe('external IdP token lifetime', () => {
  it('accepts a token that expires within the bound', async () => {
    expect((await idpLogin(idpToken({}))).status).toBe(200);
    expect((await idpLogin(idpToken({ exp: Math.floor(gw.clock.now / 1000) + 3600 }))).status).toBe(200);
  });

  it('refuses a token without exp, even with a valid signature, issuer and audience', async () => {
    const r = await idpLogin(idpToken({ exp: undefined }));
    expect(r.status).toBe(401);
    expect(r.json.details[0]).toMatch(/exp/);
  });

  it('refuses a token whose exp lies beyond GATEWAY_IDP_MAX_TOKEN_SECONDS', async () => {
    const r = await idpLogin(idpToken({ exp: Math.floor(gw.clock.now / 1000) + 3601 }));
    expect(r.status).toBe(401);
    const tenYears = await idpLogin(idpToken({ exp: Math.floor(gw.clock.now / 1000) + 10 * 365 * 86_400 }));
    expect(tenYears.status).toBe(401);
  });

  it('a token accepted now is refused once the clock passes its exp', async () => {
    const token = idpToken({});
    expect((await idpLogin(token)).status).toBe(200);
    gw.clock.advance(301_000);
    expect((await idpLogin(token)).status).toBe(401);
  });
});

describe('external IdP failures tell nothing of the configuration', () => {
  it.each([
    ['wrong issuer', { iss: 'https://evil.example/' }],
    ['wrong audience', { aud: 'someone-else' }],
  ])('%s: 401 without the configured issuer or audience', async (_name, claims) => {
    const r = await idpLogin(idpToken(claims));
    expect(r.status).toBe(401);
    expect(r.text).not.toContain(ISSUER);
    expect(r.text).not.toContain('tenant-7f3a');
    expect(r.text).not.toContain(AUDIENCE);
    expect(r.text).not.toContain('expected');
  });

  it('the audit trail of those failures holds no configured value either', async () => {
    const events = await gw.gateway.core.store.listAudit(50);
    const details = events.map((e) => e.detail ?? '').join('\n');
    expect(details).not.toContain(AUDIENCE);
    expect(details).not.toContain(ISSUER);
  });
});

import { status } from '@grpc/grpc-js';
import { createHash, X509Certificate } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LoginAdminResponse, LoginResponse } from '../../src/gen/gsdk/login/login';
import {
  closeAllClients,
  codeOf,
  decodeJwt,
  legacyLoginClient,
  loginClient,
  metadataWith,
  unary,
} from '../support/clients';
import { createAuthority, issueLeaf } from '../../src/pki/authority';
import { foreignTenant } from '../support/pki';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }, { tenantId: 'globex' }] });
});

afterAll(async () => {
  closeAllClients();
  await gw.close();
});

const login = (pair: { certPem: string; keyPem: string }, token?: string, pem = pair.certPem) =>
  unary<LoginResponse>(loginClient(gw.address, gw.pki.caPem, pair), 'login', { tenantCert: pem }, metadataWith(token)).then((r) => r.jwtToken);

const loginAdmin = (pair: { certPem: string; keyPem: string }, tenantID: string) =>
  unary<LoginAdminResponse>(loginClient(gw.address, gw.pki.caPem, pair), 'loginAdmin', { adminTenantCert: pair.certPem, tenantID }).then(
    (r) => r.jwtToken,
  );

const thumbprint = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

describe('Login with a tenant certificate', () => {
  it.each([
    ['Node client: no token metadata', undefined],
    ['Go / Python clients: empty token', ''],
    ['a client resending a stale token', 'eyJhbGciOiJFUzI1NiJ9.stale.token'],
  ])('%s', async (_name, token) => {
    const acme = gw.pki.tenant('acme');
    const jwtToken = await login(acme, token);
    const { header, payload } = decodeJwt(jwtToken);
    expect(header.alg).toBe('ES256');
    expect(typeof header.kid).toBe('string');
    expect(payload).toMatchObject({ iss: 'master-gateway', sub: 'acme', tenant: 'acme', role: 'tenant' });
    expect(payload.cnf).toEqual({ 'x5t#S256': thumbprint(acme.certPem) });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(typeof payload.jti).toBe('string');
  });

  it('is the same for a certificate the CLI did not make (same SAN entries, other subject)', async () => {
    const pair = gw.pki.tenant('globex', { subject: { commonName: 'anything', organization: 'Globex' } });
    expect(decodeJwt(await login(pair)).payload.tenant).toBe('globex');
  });

  it('refuses a tenant that is not registered with NOT_FOUND', async () => {
    const err = await codeOf(login(gw.pki.tenant('initech')));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.details).toMatch(/initech is not registered/);
  });

  it('is served under the pre-V1.5 path /login.Login/Login', async () => {
    const acme = gw.pki.tenant('acme');
    const res = await unary<LoginResponse>(legacyLoginClient(gw.address, gw.pki.caPem, acme), 'login', { tenantCert: acme.certPem });
    expect(decodeJwt(res.jwtToken).payload.tenant).toBe('acme');
  });

  it('refuses a request PEM that is not the certificate of the TLS peer', async () => {
    const acme = gw.pki.tenant('acme');
    const other = gw.pki.tenant('acme');
    const err = await codeOf(login(acme, undefined, other.certPem));
    expect(err.code).toBe(status.UNAUTHENTICATED);
    expect(err.details).toMatch(/not the certificate this connection presented/);
  });

  it('refuses expired and not-yet-valid certificates with UNAUTHENTICATED saying why', async () => {
    const day = 86_400_000;
    const expired = gw.pki.tenant('acme', { notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) });
    const future = gw.pki.tenant('acme', { notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 10 * day) });
    const e1 = await codeOf(login(expired));
    expect(e1.code).toBe(status.UNAUTHENTICATED);
    expect(e1.details).toMatch(/expired/);
    const e2 = await codeOf(login(future));
    expect(e2.code).toBe(status.UNAUTHENTICATED);
    expect(e2.details).toMatch(/not valid before/);
  });

  it('refuses a blacklisted certificate at once, at the handshake', async () => {
    const acme = gw.pki.tenant('acme');
    await login(acme);
    await gw.gateway.core.store.addBlacklist([{ serial: acme.serial, tenantId: 'acme', gatewayId: null, addedAt: 0 }]);
    const err = await codeOf(login(acme));
    expect(err.code).toBe(status.UNAVAILABLE);
  });

  it('never lets a certificate from another CA reach a handler (handshake refused)', async () => {
    const foreign = foreignTenant('acme');
    const err = await codeOf(login(foreign));
    expect(err.code).toBe(status.UNAVAILABLE);
  });

  it('refuses at the handshake an expired certificate from another CA (OpenSSL reports only "expired")', async () => {
    const ca = createAuthority({ notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const leaf = issueLeaf(ca, { kind: 'tenant', identity: { kind: 'tenant', tenantId: 'acme' } }, { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const err = await codeOf(login({ certPem: leaf.certPem, keyPem: leaf.keyPem }));
    expect(err.code).toBe(status.UNAVAILABLE);
  });

  it('ignores a connection key a client sends in its own metadata', async () => {
    const acme = gw.pki.tenant('acme');
    const md = metadataWith();
    md.set('x-master-gateway-connection', '127.0.0.1|1|127.0.0.1|2');
    const res = await unary<LoginResponse>(loginClient(gw.address, gw.pki.caPem, acme), 'login', { tenantCert: acme.certPem }, md);
    expect(decodeJwt(res.jwtToken).payload.tenant).toBe('acme');
  });

  it('never lets a client without a certificate reach a handler', async () => {
    const client = loginClient(gw.address, gw.pki.caPem);
    const err = await codeOf(unary(client, 'login', { tenantCert: gw.pki.admin.certPem }));
    expect(err.code).toBe(status.UNAVAILABLE);
  });
});

describe('administrator logins', () => {
  it('Login with the administrator certificate equals LoginAdmin(…, "administrator")', async () => {
    const viaLogin = decodeJwt(await login(gw.pki.admin)).payload;
    const viaAdmin = decodeJwt(await loginAdmin(gw.pki.admin, 'administrator')).payload;
    const strip = ({ jti: _j, iat: _i, exp: _e, ...rest }: jwt.JwtPayload) => rest;
    expect(strip(viaLogin)).toEqual(strip(viaAdmin));
    expect(viaLogin).toMatchObject({ sub: 'administrator', tenant: 'administrator', role: 'administrator' });
    expect(viaLogin.act).toBeUndefined();
  });

  it('LoginAdmin acting as a tenant scopes the token and records the acting administrator', async () => {
    const payload = decodeJwt(await loginAdmin(gw.pki.admin, 'acme')).payload;
    expect(payload).toMatchObject({ sub: 'administrator', tenant: 'acme', role: 'tenant', act: { sub: 'administrator' } });
  });

  it('LoginAdmin with a tenant certificate is PERMISSION_DENIED', async () => {
    const err = await codeOf(loginAdmin(gw.pki.tenant('acme'), 'acme'));
    expect(err.code).toBe(status.PERMISSION_DENIED);
  });

  it('LoginAdmin for an unknown tenant is NOT_FOUND, for a malformed ID INVALID_ARGUMENT', async () => {
    expect((await codeOf(loginAdmin(gw.pki.admin, 'nobody'))).code).toBe(status.NOT_FOUND);
    expect((await codeOf(loginAdmin(gw.pki.admin, ''))).code).toBe(status.INVALID_ARGUMENT);
    expect((await codeOf(loginAdmin(gw.pki.admin, 'a b'))).code).toBe(status.INVALID_ARGUMENT);
    expect((await codeOf(loginAdmin(gw.pki.admin, 'x'.repeat(65)))).code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('bad input is INVALID_ARGUMENT and the server keeps serving', () => {
  const pem = () => gw.pki.tenant('acme');
  it.each([
    ['an empty field', () => ''],
    ['garbage', () => 'not a certificate at all'],
    ['a truncated PEM', () => pem().certPem.slice(0, 300)],
    ['two certificates in one field', () => pem().certPem + pem().certPem],
    ['the CA certificate', () => gw.pki.caPem],
  ])('%s', async (_name, body) => {
    const err = await codeOf(login(gw.pki.tenant('acme'), undefined, body()));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/tenantCert/);
    expect(await login(gw.pki.tenant('acme'))).toBeTruthy();
  });

  it('a request over the 16 KiB Login takes is RESOURCE_EXHAUSTED, and the server keeps serving', async () => {
    const err = await codeOf(login(gw.pki.tenant('acme'), undefined, 'A'.repeat(65 * 1024)));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(await login(gw.pki.tenant('acme'))).toBeTruthy();
  });

  it('a server certificate presented as a client certificate', async () => {
    const err = await codeOf(login(gw.pki.server));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/no tenant ID/);
  });

  it('a device gateway certificate on Login', async () => {
    const err = await codeOf(login(gw.pki.gateway('acme', 'gw-1')));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
  });
});

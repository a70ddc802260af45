/**
 * Issue 10 §4, resource server endpoints and the gRPC door's certificate-bound tokens:
 * introspection says inactive once the bound certificate is blacklisted or the tenant was deleted
 * (even if added again), and names the binding (`cnf`, RFC 8705 §3.2); only a client named in
 * GATEWAY_REVOCATION_CLIENTS revokes (RFC 7009 §2.1), so the administrator's token survives the others.
 */
import * as grpc from '@grpc/grpc-js';
import { createHash, X509Certificate } from 'node:crypto';
import { closeAllClients, codeOf } from '../support/clients';
import { openSession } from '../support/admin-session';
import { startTestGateway, TestGateway } from '../support/gateway';
import { http } from '../support/http';

const PRIVILEGED = 'rs-admin';
const PLAIN = 'rs-plain';
const SECRET = '0123456789abcdef-secret';
const basic = (id: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${SECRET}`).toString('base64')}` });

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    tenants: [{ tenantId: 'acme' }, { tenantId: 'globex' }],
    config: { introspectionClients: [`${PRIVILEGED}:${SECRET}`, `${PLAIN}:${SECRET}`], revocationClients: [PRIVILEGED] },
  });
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

const form = (path: string, token: string, client: string) =>
  http(gw.http, 'POST', path, { raw: `token=${encodeURIComponent(token)}`, type: 'application/x-www-form-urlencoded', headers: basic(client) });
const introspect = (token: string) => form('/oauth2/introspect', token, PLAIN);
const thumbprintOf = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
// Refused by the call (UNAUTHENTICATED) or, when the client must connect again, at the handshake
// (UNAVAILABLE: blacklisted certificates are dropped there).
const REFUSALS: number[] = [grpc.status.UNAUTHENTICATED, grpc.status.UNAVAILABLE];
const refused = (p: Promise<unknown>) => codeOf(p).then((e) => REFUSALS.includes(e.code), () => false);

describe('introspection of certificate-bound tokens', () => {
  it('a live gRPC token is active and names its binding (cnf x5t#S256)', async () => {
    const pair = gw.pki.tenant('acme');
    const session = await openSession(gw, pair);
    const r = await introspect(session.token);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ active: true, tenant: 'acme', cnf: { 'x5t#S256': thumbprintOf(pair.certPem) } });
  });

  it('inactive once the certificate the token is bound to is blacklisted', async () => {
    const pair = gw.pki.tenant('acme');
    const session = await openSession(gw, pair);
    expect((await introspect(session.token)).json.active).toBe(true);
    const { store, directory } = gw.gateway.core;
    await store.addBlacklist([{ serial: pair.serial, tenantId: 'acme', gatewayId: null, addedAt: Math.floor(gw.clock.now / 1000) }]);
    await directory.refresh('blacklist');
    expect((await introspect(session.token)).json).toEqual({ active: false });
    // The gRPC door agrees.
    expect(await refused(session.call('gateway', 'getList'))).toBe(true);
  });

  it('inactive once its tenant was deleted, even after the same ID is added again', async () => {
    const admin = await openSession(gw, gw.pki.admin);
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'initech', gatewayIDs: [] }] });
    const acting = await openSession(gw, gw.pki.admin, 'initech');
    expect((await introspect(acting.token)).json).toMatchObject({ active: true, tenant: 'initech' });
    await admin.call('tenant', 'delete', { tenantIDs: ['initech'] });
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'initech', gatewayIDs: [] }] });
    expect((await introspect(acting.token)).json).toEqual({ active: false });
  });
});

describe('revocation rights (RFC 7009 §2.1)', () => {
  it("a client not named in GATEWAY_REVOCATION_CLIENTS cannot revoke the administrator's token: 400 unauthorized_client, the token keeps working", async () => {
    const admin = await openSession(gw, gw.pki.admin);
    const r = await form('/oauth2/revoke', admin.token, PLAIN);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: 'unauthorized_client' });
    expect((await admin.call<{ tenantIDs: string[] }>('tenant', 'getList')).tenantIDs).toContain('acme');
    expect((await introspect(admin.token)).json.active).toBe(true);
  });

  it('nor an HTTP dialect token; an invalid token is answered 200 as to anyone (§2.2)', async () => {
    await gw.gateway.core.identity.users.add({ username: 'ursula', tenantId: 'globex', password: 'ursula password' });
    const tokens = (await http(gw.http, 'POST', '/Auth', { body: { UserName: 'ursula', Password: 'ursula password' } })).json;
    const access = tokens.token;
    expect(typeof access).toBe('string');
    expect((await form('/oauth2/revoke', access, PLAIN)).status).toBe(400);
    expect((await introspect(access)).json.active).toBe(true);
    expect((await form('/oauth2/revoke', 'never-issued', PLAIN)).status).toBe(200);
  });

  it('a privileged client revokes a gRPC token: 200, then the gRPC door refuses it and introspection says inactive', async () => {
    const session = await openSession(gw, gw.pki.tenant('globex'));
    expect((await form('/oauth2/revoke', session.token, PRIVILEGED)).status).toBe(200);
    expect(await refused(session.call('gateway', 'getList'))).toBe(true);
    expect((await introspect(session.token)).json).toEqual({ active: false });
  });
});

/** The Monogoto-style login API (/Auth, /Auth/Refresh), byte for byte, against the running bridge. */
import { createPublicKey, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { http, HttpResult } from '../support/http';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
const secrets: string[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }], config: { lockoutThreshold: 3 } });
});

afterAll(() => gw.close());

// Failures from 127.0.0.1 add up per address across the file; a new lockout window per test keeps tests independent.
beforeEach(() => gw.clock.advance(16 * 60_000));

async function newUser(options: { role?: string; mustChangePassword?: boolean } = {}) {
  const username = `m-${randomUUID().slice(0, 8)}`;
  const password = `pw-${randomUUID()}`;
  secrets.push(password);
  const user = await gw.gateway.core.identity.users.add({ username, password, tenantId: 'acme', role: options.role, mustChangePassword: options.mustChangePassword });
  return { ...user, password };
}

const auth = (UserName: unknown, Password: unknown) => http(gw.http, 'POST', '/Auth', { body: { UserName, Password } });
const refresh = (refreshToken: unknown) => http(gw.http, 'POST', '/Auth/Refresh', { body: { refreshToken } });

async function verifyWithJwks(token: string): Promise<jwt.JwtPayload> {
  const jwks = (await http(gw.http, 'GET', '/.well-known/jwks.json')).json;
  const { header } = jwt.decode(token, { complete: true })!;
  const jwk = jwks.keys.find((k: { kid: string }) => k.kid === header.kid);
  return jwt.verify(token, createPublicKey({ key: jwk, format: 'jwk' }), { algorithms: ['ES256'], clockTimestamp: Math.floor(gw.clock.now / 1000) }) as jwt.JwtPayload;
}

function expectDenied(r: HttpResult, status = 404) {
  expect(r.status).toBe(status);
  expect(r.text).toBe('Access denied');
  expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
}

function tokensOf(r: HttpResult): { token: string; refreshToken: string } {
  expect(r.status).toBe(200);
  secrets.push(r.json.token, r.json.refreshToken);
  return r.json;
}

describe('POST /Auth', () => {
  it('answers exactly the Monogoto fields; permissions come from the role; the token verifies with the JWKS', async () => {
    const u = await newUser({ role: 'admin' });
    const r = await auth(u.username, u.password);
    expect(r.status).toBe(200);
    const { token, refreshToken } = tokensOf(r);
    const role = (await gw.gateway.core.store.findRole('admin'))!;
    expect(Object.keys(r.json)).toEqual(['token', 'refreshToken', 'CustomerId', 'UserId', 'UserName', 'Role', 'Realm', 'OrganizationId', 'AccountSettings', 'ThingsGroupIds', 'UserProfile']);
    expect(r.json).toEqual({
      token,
      refreshToken,
      CustomerId: 'acme',
      UserId: u.userId,
      UserName: u.username,
      Role: 'admin',
      Realm: 'acme',
      OrganizationId: 'acme',
      AccountSettings: { TwoFactorAuthentication: false },
      ThingsGroupIds: [],
      UserProfile: {
        Permissions: { Users: ['view', 'edit', 'delete'], Gateways: ['view', 'edit', 'delete'], Devices: ['view', 'edit', 'delete'] },
        DateCreated: u.createdAt,
        Name: 'admin',
        Realm: 'acme',
        Type: 'USER_PROFILE',
        UserProfileId: u.userId,
        DateModified: u.updatedAt,
        cas: u.updatedAt,
      },
    });
    expect(r.json.UserProfile.Permissions).toEqual(role.permissions);
    expect(Object.keys(r.json.UserProfile)).toEqual(['Permissions', 'DateCreated', 'Name', 'Realm', 'Type', 'UserProfileId', 'DateModified', 'cas']);

    const claims = await verifyWithJwks(token);
    expect(claims).toMatchObject({ sub: u.userId, tenant: 'acme', username: u.username, role: 'admin', iss: 'master-gateway' });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(refreshToken).not.toBe(token);
  });

  it("follows the store: a role's permissions as they are now", async () => {
    const now = gw.clock.now;
    await gw.gateway.core.store.putRole({ name: 'viewer', permissions: { Things: ['view'], Sims: ['view', 'edit'] }, createdAt: now, updatedAt: now });
    const u = await newUser({ role: 'viewer' });
    const r = await auth(u.username, u.password);
    tokensOf(r);
    expect(r.json.Role).toBe('viewer');
    expect(r.json.UserProfile.Permissions).toEqual({ Things: ['view'], Sims: ['view', 'edit'] });
    expect(r.json.UserProfile.Name).toBe('viewer');
  });

  it.each([
    ['wrong password', async () => auth((await newUser()).username, 'wrong password')],
    ['unknown user', async () => auth(`ghost-${randomUUID().slice(0, 8)}`, 'whatever')],
    ['a user who must change their password', async () => { const u = await newUser({ mustChangePassword: true }); return auth(u.username, u.password); }],
    ['missing Password', async () => http(gw.http, 'POST', '/Auth', { body: { UserName: 'someone' } })],
    ['empty fields', async () => auth('', '')],
    ['wrong types', async () => auth(42, ['x'])],
    ['lower-case field names', async () => http(gw.http, 'POST', '/Auth', { body: { username: 'a', password: 'b' } })],
    ['malformed JSON', async () => http(gw.http, 'POST', '/Auth', { raw: '{"UserName":' })],
    ['empty body', async () => http(gw.http, 'POST', '/Auth', { raw: '' })],
    ['a JSON array', async () => http(gw.http, 'POST', '/Auth', { raw: '[]' })],
    ['a form body', async () => http(gw.http, 'POST', '/Auth', { raw: 'UserName=a&Password=b', type: 'application/x-www-form-urlencoded' })],
    ['no body at all', async () => http(gw.http, 'POST', '/Auth')],
    ['a body over 64 KiB', async () => http(gw.http, 'POST', '/Auth', { raw: JSON.stringify({ UserName: 'a', Password: 'x'.repeat(70_000) }) })],
    ['GET /Auth', async () => http(gw.http, 'GET', '/Auth')],
    ['an unknown route under /Auth', async () => http(gw.http, 'POST', '/Auth/Nothing', { body: {} })],
  ])('%s: 404 Access denied (plain text)', async (_n, call) => {
    expectDenied(await call());
  });

  it('locks the account at the threshold: 429 with Retry-After at once, the right password refused while locked', async () => {
    const u = await newUser();
    for (let i = 0; i < 3; i++) expectDenied(await auth(u.username, `wrong-${i}`));
    const t = Date.now();
    const locked = await auth(u.username, u.password);
    expect(Date.now() - t).toBeLessThan(1000);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.text).toBe('Too Many Requests');
    const audit = await gw.gateway.core.store.listAudit(50);
    expect(audit.some((e) => e.event === 'lockout' && e.username === u.username && e.dialect === 'monogoto')).toBe(true);
  });
});

describe('POST /Auth/Refresh (rotating refresh tokens)', () => {
  it('answers exactly {token, refreshToken}; every refresh token is single use and the new one works', async () => {
    const u = await newUser();
    let current = tokensOf(await auth(u.username, u.password));
    for (let i = 0; i < 3; i++) {
      gw.clock.advance(30 * 60_000);
      const r = await refresh(current.refreshToken);
      const next = tokensOf(r);
      expect(Object.keys(r.json)).toEqual(['token', 'refreshToken']);
      expect(next.refreshToken).not.toBe(current.refreshToken);
      expect(await verifyWithJwks(next.token)).toMatchObject({ sub: u.userId, tenant: 'acme', username: u.username, role: 'user' });
      current = next;
    }
  });

  it('reusing a spent refresh token is refused with 401, revokes the whole family (the newest token too) and is audited as an incident', async () => {
    const u = await newUser();
    const first = tokensOf(await auth(u.username, u.password));
    const second = tokensOf(await refresh(first.refreshToken));
    const third = tokensOf(await refresh(second.refreshToken));
    const other = tokensOf(await auth(u.username, u.password)); // another login: another family

    expectDenied(await refresh(first.refreshToken), 401);
    expectDenied(await refresh(third.refreshToken), 401);
    expectDenied(await refresh(second.refreshToken), 401);

    const audit = await gw.gateway.core.store.listAudit(50);
    const incidents = audit.filter((e) => e.event === 'refresh_reuse' && e.username === u.username);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ outcome: 'incident', dialect: 'monogoto', tenantId: 'acme' });

    tokensOf(await refresh(other.refreshToken));
  });

  it('concurrent presentations of one refresh token: at most one succeeds, and nothing handed out survives the family revocation', async () => {
    const u = await newUser();
    const first = tokensOf(await auth(u.username, u.password));
    const answers = await Promise.all(Array.from({ length: 8 }, () => refresh(first.refreshToken)));
    const won = answers.filter((a) => a.status === 200);
    expect(won.length).toBeLessThanOrEqual(1);
    for (const a of answers.filter((x) => x.status !== 200)) expectDenied(a, 401);
    for (const a of won) expectDenied(await refresh(tokensOf(a).refreshToken), 401);
  });

  it('refuses an expired, revoked, unknown or foreign-dialect refresh token with 401', async () => {
    const u = await newUser();
    const a = tokensOf(await auth(u.username, u.password));
    const b = tokensOf(await auth(u.username, u.password));
    expect(await gw.gateway.core.identity.refresh.revoke(b.refreshToken)).toBe(true);
    const foreign = await gw.gateway.core.identity.refresh.issue(u, 'cognito', { rotating: false, ttlSeconds: 600 });
    gw.clock.advance(7 * 86_400_000 + 1000);
    for (const token of [a.refreshToken, b.refreshToken, foreign.token, 'garbage', a.token]) expectDenied(await refresh(token), 401);
  });

  it.each([
    ['missing', { body: {} }],
    ['a number', { body: { refreshToken: 7 } }],
    ['malformed JSON', { raw: '{' }],
    ['another content type', { raw: 'refreshToken=x', type: 'application/x-www-form-urlencoded' }],
  ])('refreshToken %s: 404 Access denied', async (_n, o) => {
    expectDenied(await http(gw.http, 'POST', '/Auth/Refresh', o as never));
  });
});

describe('logs', () => {
  it('never contain a password or token', () => {
    const log = gw.logs.join('');
    expect(log).toContain('audit login');
    expect(log).toContain('refresh_reuse');
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(log).not.toContain('wrong-1');
  });
});

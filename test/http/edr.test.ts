/** The EDR mobile login API (/mobile/v1/auth), byte for byte, against the running bridge. */
import { createPublicKey, createSecretKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { createSecretBox } from '../../src/core/secret-box';
import { rotateHmacSecrets } from '../../src/core/signing-keys';
import { http, HttpResult } from '../support/http';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
let serial = 0;
/** Every password and token this file sends or receives; none may reach the log. */
const secrets: string[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }, { tenantId: 'globex' }], config: { lockoutThreshold: 3 } });
});

afterAll(async () => {
  await gw.close();
});

// Failure counters per address are shared by the whole file (every request comes from 127.0.0.1):
// move past their 15-minute window so each test starts clean.
beforeEach(() => gw.clock.advance(16 * 60_000));

const now = () => new Date(gw.clock.now).toISOString();
const ok = (data: unknown, extra: Record<string, unknown> = {}) => ({ response: { code: 200, timestamp: now(), ...extra }, data });
const failure = (code: number, message: string) => ({ response: { code, timestamp: now(), message }, data: null });
const INVALID_LOGIN = () => failure(401, 'Invalid login');
const INVALID_REFRESH = () => failure(401, 'Invalid refresh token');

async function freshUser(extra: { mustChangePassword?: boolean; tenantId?: string } = {}) {
  const n = ++serial;
  const password = `edr password ${n} ${randomBytes(4).toString('hex')}`;
  secrets.push(password);
  const user = await gw.gateway.core.identity.users.add({
    username: `driver${n}@fleet.example`,
    tenantId: extra.tenantId ?? 'acme',
    password,
    email: `driver${n}@fleet.example`,
    firstName: 'Dana',
    lastName: `Driver${n}`,
    mustChangePassword: extra.mustChangePassword,
  });
  return { user, username: user.username, password };
}

const post = async (path: string, body: unknown): Promise<HttpResult> => {
  const r = await http(gw.http, 'POST', `/mobile/v1/auth/${path}`, { body });
  for (const t of [r.json?.data, r.json?.data?.accessToken, r.json?.data?.refreshToken]) if (typeof t === 'string') secrets.push(t);
  return r;
};

async function mobileJwt(username: string, password: string): Promise<string> {
  const r = await post('edr', { username, password });
  expect(r.status).toBe(200);
  return r.json.data;
}

async function login(username: string, password: string) {
  const r = await post('login', { username, password, jwt: await mobileJwt(username, password) });
  expect(r.status).toBe(200);
  return r.json.data as { accessToken: string; refreshToken: string; user: Record<string, unknown> };
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('POST /mobile/v1/auth/edr (account step)', () => {
  it('answers a short-lived HS256 mobile JWT bound to the account', async () => {
    const { user, username, password } = await freshUser();
    const r = await post('edr', { username, password });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.json).toEqual(ok(expect.any(String), { type: 'jwt' }));
    expect(Object.keys(r.json)).toEqual(['response', 'data']);
    expect(Object.keys(r.json.response).sort()).toEqual(['code', 'timestamp', 'type']);
    const { header, payload } = jwt.decode(r.json.data, { complete: true }) as { header: jwt.JwtHeader; payload: jwt.JwtPayload };
    expect(header.alg).toBe('HS256');
    expect(payload).toEqual({ sub: user.userId, aud: 'edr-mobile', iss: 'master-gateway', iat: expect.any(Number), exp: expect.any(Number), jti: expect.any(String) });
    expect(payload.exp! - payload.iat!).toBe(300);
    // It is signed with the store-kept HS256 secret.
    expect(() => jwt.verify(r.json.data, gw.gateway.core.identity.mobileKey, { algorithms: ['HS256'], clockTimestamp: Math.floor(gw.clock.now / 1000) })).not.toThrow();
  });

  it('accepts a JSON content type with parameters and ignores extra fields', async () => {
    const { username, password } = await freshUser();
    const r = await http(gw.http, 'POST', '/mobile/v1/auth/edr', { raw: JSON.stringify({ username, password, device: 'x' }), type: 'application/json; charset=utf-8' });
    expect(r.status).toBe(200);
    secrets.push(r.json.data);
  });

  it('answers a wrong password and an unknown user identically', async () => {
    const { username } = await freshUser();
    const wrong = await post('edr', { username, password: 'not the password' });
    const unknown = await post('edr', { username: 'nobody@fleet.example', password: 'not the password' });
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(r.json).toEqual(INVALID_LOGIN());
    }
    expect(wrong.text).toBe(unknown.text);
  });

  it.each([
    ['missing password', { body: { username: 'a' } }, 'username and password are required strings'],
    ['empty fields', { body: { username: '', password: '' } }, 'username and password are required strings'],
    ['wrong types', { body: { username: 1, password: ['x'] } }, 'username and password are required strings'],
    ['null fields', { body: { username: null, password: null } }, 'username and password are required strings'],
    ['malformed JSON', { raw: '{"username":' }, 'Body must be a JSON object'],
    ['empty body', { raw: '' }, 'Body must be a JSON object'],
    ['a JSON array', { raw: '[]' }, 'Body must be a JSON object'],
    ['a JSON string', { raw: '"username"' }, 'Body must be a JSON object'],
    ['a form', { raw: 'username=a&password=b', type: 'application/x-www-form-urlencoded' }, 'Content-Type must be application/json'],
    ['text/plain', { raw: '{"username":"a","password":"b"}', type: 'text/plain' }, 'Content-Type must be application/json'],
  ])('%s: 400', async (_n, o, message) => {
    const r = await http(gw.http, 'POST', '/mobile/v1/auth/edr', o as never);
    expect(r.status).toBe(400);
    expect(r.json).toEqual(failure(400, message));
  });

  it('a password change pending: 403', async () => {
    const { username, password } = await freshUser({ mustChangePassword: true });
    const r = await post('edr', { username, password });
    expect(r.status).toBe(403);
    expect(r.json).toEqual(failure(403, 'Password change required: set a new password first'));
  });
});

describe('POST /mobile/v1/auth/login', () => {
  it('the two-step flow: account step, then login; the access token verifies with the published JWKS', async () => {
    const { user, username, password } = await freshUser({ tenantId: 'globex' });
    const mobile = await mobileJwt(username, password);
    const r = await post('login', { username, password, jwt: mobile });
    expect(r.status).toBe(200);
    expect(r.json).toEqual(
      ok({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        user: {
          aid: 'globex',
          firstName: 'Dana',
          lastName: user.lastName,
          username,
          email: user.email,
          cid: 'globex',
          name: `Dana ${user.lastName}`,
          fromMobile: true,
          edrAccount: 'globex',
          _id: user.userId,
        },
      }),
    );
    expect(Object.keys(r.json.response).sort()).toEqual(['code', 'timestamp']);
    expect(Object.keys(r.json.data).sort()).toEqual(['accessToken', 'refreshToken', 'user']);
    expect(Object.keys(r.json.data.user).sort()).toEqual(['_id', 'aid', 'cid', 'edrAccount', 'email', 'firstName', 'fromMobile', 'lastName', 'name', 'username']);

    const { accessToken } = r.json.data;
    const jwks = (await http(gw.http, 'GET', '/.well-known/jwks.json')).json;
    const { header } = jwt.decode(accessToken, { complete: true })!;
    expect(header).toMatchObject({ alg: 'ES256', typ: 'access' });
    const jwk = jwks.keys.find((k: { kid: string }) => k.kid === header.kid);
    const claims = jwt.verify(accessToken, createPublicKey({ key: jwk, format: 'jwk' }), {
      algorithms: ['ES256'],
      issuer: 'master-gateway',
      clockTimestamp: Math.floor(gw.clock.now / 1000),
    }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: user.userId, tenant: 'globex', username });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(typeof claims.jti).toBe('string');
    expect((await gw.gateway.core.identity.access.verify(accessToken)).sub).toBe(user.userId);
  });

  it('a wrong password with a good mobile JWT: 401 Invalid login', async () => {
    const { username, password } = await freshUser();
    const r = await post('login', { username, password: 'not the password', jwt: await mobileJwt(username, password) });
    expect(r.status).toBe(401);
    expect(r.json).toEqual(INVALID_LOGIN());
  });

  it('an unknown user with some account’s mobile JWT answers exactly like a wrong password', async () => {
    const { username, password } = await freshUser();
    const mobile = await mobileJwt(username, password);
    const unknown = await post('login', { username: 'nobody@fleet.example', password: 'whatever pw', jwt: mobile });
    const wrong = await post('login', { username, password: 'whatever pw', jwt: mobile });
    expect(unknown.status).toBe(401);
    expect(unknown.json).toEqual(INVALID_LOGIN());
    expect(unknown.text).toBe(wrong.text);
  });

  it.each([
    ['missing jwt', { username: 'a', password: 'b' }],
    ['empty jwt', { username: 'a', password: 'b', jwt: '' }],
    ['jwt not a string', { username: 'a', password: 'b', jwt: { alg: 'none' } }],
    ['missing password', { username: 'a', jwt: 'x.y.z' }],
    ['wrong types', { username: ['a'], password: 1, jwt: true }],
  ])('%s: 400', async (_n, body) => {
    const r = await post('login', body);
    expect(r.status).toBe(400);
    expect(r.json).toEqual(failure(400, 'username, password and jwt are required strings'));
  });

  it('malformed JSON and another content type: 400', async () => {
    const malformed = await http(gw.http, 'POST', '/mobile/v1/auth/login', { raw: '{"jwt": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toEqual(failure(400, 'Body must be a JSON object'));
    const form = await http(gw.http, 'POST', '/mobile/v1/auth/login', { raw: 'jwt=x', type: 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(400);
    expect(form.json).toEqual(failure(400, 'Content-Type must be application/json'));
  });

  describe('refuses a mobile JWT that is not ours, not HS256, expired or for another account', () => {
    const claimsFor = (sub: string, over: Record<string, unknown> = {}) => {
      const iat = Math.floor(gw.clock.now / 1000);
      return { sub, aud: 'edr-mobile', iss: 'master-gateway', iat, exp: iat + 300, jti: 'j1', ...over };
    };
    const key = () => gw.gateway.core.identity.mobileKey;

    it.each([
      ['forged with another secret', (sub: string) => jwt.sign(claimsFor(sub), createSecretKey(randomBytes(32)), { algorithm: 'HS256' })],
      ['alg none', (sub: string) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claimsFor(sub))}.`],
      ['HS512 with the right secret', (sub: string) => jwt.sign(claimsFor(sub), key(), { algorithm: 'HS512' })],
      ['HS384 with the right secret', (sub: string) => jwt.sign(claimsFor(sub), key(), { algorithm: 'HS384' })],
      ['another audience', (sub: string) => jwt.sign(claimsFor(sub, { aud: 'someone-else' }), key(), { algorithm: 'HS256' })],
      ['another issuer', (sub: string) => jwt.sign(claimsFor(sub, { iss: 'elsewhere' }), key(), { algorithm: 'HS256' })],
      ['no expiry', (sub: string) => {
        const { exp: _exp, ...claims } = claimsFor(sub);
        return jwt.sign(claims, key(), { algorithm: 'HS256' });
      }],
      ['the gateway’s ES256 access token', (sub: string) => gw.gateway.core.identity.access.sign({ sub, tenant: 'acme', aud: 'edr-mobile' }, 300).token],
      ['garbage', () => 'not-a-jwt'],
    ])('%s: 401 Invalid login', async (_n, make) => {
      const { user, username, password } = await freshUser();
      const r = await post('login', { username, password, jwt: make(user.userId) });
      expect(r.status).toBe(401);
      expect(r.json).toEqual(INVALID_LOGIN());
    });

    it('expired: 401 once its 300 s are over', async () => {
      const { username, password } = await freshUser();
      const mobile = await mobileJwt(username, password);
      gw.clock.advance(301_000);
      const r = await post('login', { username, password, jwt: mobile });
      expect(r.status).toBe(401);
      expect(r.json).toEqual(INVALID_LOGIN());
    });

    it('still good just before it expires', async () => {
      const { username, password } = await freshUser();
      const mobile = await mobileJwt(username, password);
      gw.clock.advance(290_000);
      expect((await post('login', { username, password, jwt: mobile })).status).toBe(200);
    });

    it('issued for another account: 401 even with that other account’s right password', async () => {
      const a = await freshUser();
      const b = await freshUser();
      const mobileOfA = await mobileJwt(a.username, a.password);
      const r = await post('login', { username: b.username, password: b.password, jwt: mobileOfA });
      expect(r.status).toBe(401);
      expect(r.json).toEqual(INVALID_LOGIN());
      const audit = await gw.gateway.core.store.listAudit(5);
      expect(audit.some((e) => e.event === 'login' && e.outcome === 'failure' && e.detail === 'ERR_TOKEN_BINDING')).toBe(true);
    });
  });
});

describe('POST /mobile/v1/auth/refresh (our addition; rotating)', () => {
  it('answers a new access token and a new refresh token; a reused one revokes the family', async () => {
    const { user, username, password } = await freshUser();
    const first = await login(username, password);

    const r1 = await post('refresh', { refreshToken: first.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.json).toEqual(ok({ accessToken: expect.any(String), refreshToken: expect.any(String) }));
    expect(Object.keys(r1.json.data).sort()).toEqual(['accessToken', 'refreshToken']);
    expect(r1.json.data.refreshToken).not.toBe(first.refreshToken);
    expect(r1.json.data.accessToken).not.toBe(first.accessToken);
    expect(jwt.decode(r1.json.data.accessToken)).toMatchObject({ sub: user.userId, tenant: 'acme', username });
    expect(jwt.decode(r1.json.data.accessToken, { complete: true })!.header.typ).toBe('access');

    const r2 = await post('refresh', { refreshToken: r1.json.data.refreshToken });
    expect(r2.status).toBe(200);

    // The spent first token is presented again: refused, and the whole family goes with it.
    const reuse = await post('refresh', { refreshToken: first.refreshToken });
    expect(reuse.status).toBe(401);
    expect(reuse.json).toEqual(INVALID_REFRESH());
    const latest = await post('refresh', { refreshToken: r2.json.data.refreshToken });
    expect(latest.status).toBe(401);
    expect(latest.json).toEqual(INVALID_REFRESH());
    const audit = await gw.gateway.core.store.listAudit(10);
    expect(audit.some((e) => e.event === 'refresh_reuse' && e.username === username)).toBe(true);
  });

  it('concurrent presentations of one refresh token: exactly one rotates (one refresh audited and logged), the others revoke the family', async () => {
    const { username, password } = await freshUser();
    const first = await login(username, password);
    const answers = await Promise.all(Array.from({ length: 6 }, () => post('refresh', { refreshToken: first.refreshToken })));
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) expect(a.json).toEqual(INVALID_REFRESH());
    // The winner's next token was added with the rotation; the reuse revoked it with its family.
    expect((await post('refresh', { refreshToken: won[0].json.data.refreshToken })).json).toEqual(INVALID_REFRESH());
    const audit = (await gw.gateway.core.store.listAudit(100)).filter((e) => e.username === username);
    expect(audit.filter((e) => e.event === 'refresh')).toEqual([expect.objectContaining({ outcome: 'success', dialect: 'edr' })]);
    expect(audit.filter((e) => e.event === 'refresh_reuse').length).toBeGreaterThanOrEqual(1);
    const logged = gw.logs.join('').split('\n').filter((l) => l.includes('"audit":"refresh"') && l.includes(username));
    expect(logged).toHaveLength(1);
  });

  it('another login is another family, untouched by the reuse', async () => {
    const { username, password } = await freshUser();
    const a = await login(username, password);
    const b = await login(username, password);
    await post('refresh', { refreshToken: a.refreshToken });
    await post('refresh', { refreshToken: a.refreshToken });
    expect((await post('refresh', { refreshToken: b.refreshToken })).status).toBe(200);
  });

  it('refuses garbage, an expired token, a disabled user’s and another dialect’s refresh token', async () => {
    const { username, password } = await freshUser();
    expect((await post('refresh', { refreshToken: 'garbage' })).json).toEqual(INVALID_REFRESH());

    const expiring = await login(username, password);
    gw.clock.advance(31 * 86_400_000);
    expect((await post('refresh', { refreshToken: expiring.refreshToken })).json).toEqual(INVALID_REFRESH());

    const datarhei = await http(gw.http, 'POST', '/api/login', { body: { username, password } });
    expect(datarhei.status).toBe(200);
    secrets.push(datarhei.json.refresh_token, datarhei.json.access_token);
    expect((await post('refresh', { refreshToken: datarhei.json.refresh_token })).json).toEqual(INVALID_REFRESH());

    const live = await login(username, password);
    await gw.gateway.core.identity.users.update(username, { disabled: true });
    const r = await post('refresh', { refreshToken: live.refreshToken });
    expect(r.status).toBe(401);
    expect(r.json).toEqual(INVALID_REFRESH());
  });

  it.each([
    ['missing', {}],
    ['empty', { refreshToken: '' }],
    ['not a string', { refreshToken: 42 }],
  ])('%s refreshToken: 400', async (_n, body) => {
    const r = await post('refresh', body);
    expect(r.status).toBe(400);
    expect(r.json).toEqual(failure(400, 'refreshToken is required'));
  });
});

describe('brute force', () => {
  const TOO_MANY = () => failure(429, 'Too many failed login attempts, retry later');

  it('locks the account after 3 failures: 429 with Retry-After at once, even for the right password', async () => {
    const { username, password } = await freshUser();
    const mobile = await mobileJwt(username, password);
    for (let i = 0; i < 3; i++) expect((await post('edr', { username, password: `wrong-${i}` })).status).toBe(401);
    const t = Date.now();
    const locked = await post('edr', { username, password });
    expect(Date.now() - t).toBeLessThan(1000);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.json).toEqual(TOO_MANY());
    // The login step is locked too, even with a mobile JWT obtained before the lockout.
    const login = await post('login', { username, password, jwt: mobile });
    expect(login.status).toBe(429);
    expect(login.json).toEqual(TOO_MANY());
    expect(Number(login.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('failures at the login step count too', async () => {
    const { username, password } = await freshUser();
    const mobile = await mobileJwt(username, password);
    for (let i = 0; i < 3; i++) expect((await post('login', { username, password: `bad-${i}`, jwt: mobile })).json).toEqual(INVALID_LOGIN());
    const locked = await post('login', { username, password, jwt: mobile });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a bad mobile JWT never reaches the password check, so it does not count', async () => {
    const { user, username, password } = await freshUser();
    const forged = jwt.sign({ sub: user.userId, aud: 'edr-mobile' }, createSecretKey(randomBytes(32)), { algorithm: 'HS256' });
    for (let i = 0; i < 5; i++) expect((await post('login', { username, password: `bad-${i}`, jwt: forged })).status).toBe(401);
    expect((await post('edr', { username, password })).status).toBe(200);
  });
});

describe('HMAC secret rotation (keys rotate-hmac)', () => {
  it('a mobile JWT made with the old secret is refused once the gateway has the new one; a new one works', async () => {
    const { username, password } = await freshUser();
    const old = await mobileJwt(username, password);
    const before = gw.gateway.core.identity.mobileKey.export().toString('base64');
    const box = createSecretBox([readFileSync(join(gw.pki.dir, 'certs', 'system_secrets'), 'utf8').trim()]);
    expect(await rotateHmacSecrets(gw.gateway.core.store, box, () => gw.clock.now)).toEqual(expect.arrayContaining(['edr-mobile', 'cognito-challenge']));
    for (let i = 0; i < 50 && gw.gateway.core.identity.mobileKey.export().toString('base64') === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(gw.gateway.core.identity.mobileKey.export().toString('base64')).not.toBe(before);
    const refused = await post('login', { username, password, jwt: old });
    expect(refused.status).toBe(401);
    expect(refused.json).toEqual(INVALID_LOGIN());
    expect((await login(username, password)).accessToken).toBeTruthy();
  });
});

describe('routing under /mobile', () => {
  const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  it.each([
    ['GET', '/mobile/v1/auth/login'],
    ['POST', '/mobile/v1/auth/nothing'],
    ['GET', '/mobile'],
  ])('%s %s: 404 in the EDR envelope', async (method, path) => {
    const r = await http(gw.http, method, path);
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ response: { code: 404, timestamp: iso, message: 'Not found' }, data: null });
  });

  it('a body over 64 KiB: 413 in the EDR envelope, not a stack trace', async () => {
    const r = await http(gw.http, 'POST', '/mobile/v1/auth/login', { raw: JSON.stringify({ username: 'a', password: 'x'.repeat(70_000), jwt: 'y' }) });
    expect(r.status).toBe(413);
    expect(r.json).toEqual({ response: { code: 413, timestamp: iso, message: 'Request body is too large' }, data: null });
  });
});

describe('logs', () => {
  it('never contain a password, a mobile JWT, an access or a refresh token', () => {
    const log = gw.logs.join('');
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(log).not.toContain(secret);
    for (const wrong of ['wrong-1', 'bad-1', 'not the password']) expect(log).not.toContain(wrong);
    expect(log).toContain('audit login');
  });
});

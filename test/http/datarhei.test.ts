/** datarhei Core's login API, byte for byte, against the running bridge. */
import { createServer, Server } from 'node:http';
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { bearer, http } from '../support/http';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
let idpServer: Server;
let idpKey: KeyObject;
let jwksHits = 0;

const BAD = { code: 401, message: 'Unauthorized', details: ['Invalid authorization credentials: invalid username or password'] };
const MISSING = { code: 400, message: 'Bad Request', details: ['Missing authorization credentials'] };
const INVALID_JWT = { code: 401, message: 'Unauthorized', details: ['Missing or invalid JWT token'] };

beforeAll(async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  idpKey = privateKey;
  idpServer = createServer((_req, res) => {
    jwksHits++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'idp-1', alg: 'RS256', use: 'sig' }] }));
  });
  await new Promise<void>((r) => idpServer.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  gw = await startTestGateway({
    tenants: [{ tenantId: 'acme' }],
    config: { idpIssuer: 'https://idp.example/', idpJwks: jwksUrl, idpAudience: 'restreamer', idpSubjects: ['auth0|alice=alice', 'auth0|ghost=nobody'], lockoutThreshold: 4, introspectionClients: ['rs:0123456789abcdef'], revocationClients: ['rs'] },
  });
  await gw.gateway.core.identity.users.add({ username: 'alice', tenantId: 'acme', password: 'correct horse battery' });
  await gw.gateway.core.identity.users.add({ username: 'bob', tenantId: 'acme', password: 'bob password 1' });
});

afterAll(async () => {
  await gw.close();
  idpServer.close();
});

const login = (body: unknown, headers?: Record<string, string>) => http(gw.http, 'POST', '/api/login', { body, headers });

describe('POST /api/login', () => {
  it('answers tokens for good credentials; the access token carries exi/usefor/tenant and verifies with the JWKS', async () => {
    const r = await login({ username: 'alice', password: 'correct horse battery', extra: 'ignored' });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(['access_token', 'refresh_token']);
    const jwks = (await http(gw.http, 'GET', '/.well-known/jwks.json')).json;
    const { header } = jwt.decode(r.json.access_token, { complete: true })!;
    const jwk = jwks.keys.find((k: { kid: string }) => k.kid === header.kid);
    const key = (await import('node:crypto')).createPublicKey({ key: jwk, format: 'jwk' });
    const claims = jwt.verify(r.json.access_token, key, { algorithms: ['ES256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: 'alice', tenant: 'acme', usefor: 'access', exi: 600, iss: 'master-gateway' });
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(typeof claims.jti).toBe('string');
    const refresh = jwt.decode(r.json.refresh_token) as jwt.JwtPayload;
    expect(refresh).toMatchObject({ usefor: 'refresh', exi: 86400, sub: 'alice' });
  });

  it.each([
    ['wrong password', { username: 'alice', password: 'nope' }],
    ['unknown user', { username: 'mallory', password: 'whatever' }],
  ])('%s: 401 with the exact body', async (_n, body) => {
    const r = await login(body);
    expect(r.status).toBe(401);
    expect(r.json).toEqual(BAD);
  });

  it.each([
    ['missing fields', { body: { username: 'alice' } }],
    ['empty fields', { body: { username: '', password: '' } }],
    ['wrong types', { body: { username: 1, password: ['x'] } }],
    ['malformed JSON', { raw: '{"username":' }],
    ['empty body', { raw: '' }],
    ['a JSON array', { raw: '[]' }],
    ['another content type', { raw: 'username=alice&password=x', type: 'application/x-www-form-urlencoded' }],
  ])('%s: 400 Missing authorization credentials', async (_n, o) => {
    const r = await http(gw.http, 'POST', '/api/login', o as never);
    expect(r.status).toBe(400);
    expect(r.json).toEqual(MISSING);
  });

  it('a huge body is refused in the dialect shape, not a stack trace', async () => {
    const r = await http(gw.http, 'POST', '/api/login', { raw: JSON.stringify({ username: 'a', password: 'x'.repeat(100_000) }) });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: 413, message: 'Payload Too Large' });
    expect(Array.isArray(r.json.details)).toBe(true);
  });

  it('unknown routes under /api answer in the datarhei shape', async () => {
    const r = await http(gw.http, 'GET', '/api/v3/nothing');
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ code: 404, message: 'Not Found', details: ['Not found'] });
  });
});

describe('the datarhei client sequence', () => {
  it('GET /api tells no runtime or host detail, logged in or not', async () => {
    const anonymous = await http(gw.http, 'GET', '/api');
    const tokens = (await login({ username: 'bob', password: 'bob password 1' })).json;
    const loggedIn = await http(gw.http, 'GET', '/api', { headers: bearer(tokens.access_token) });
    for (const r of [anonymous, loggedIn]) {
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(process.version);
      expect(r.text).not.toContain(process.versions.node);
      expect(r.json.version).toEqual({ number: expect.stringMatching(/^16\./), repository_commit: '', repository_branch: '', build_date: '', arch: '', compiler: '' });
    }
  });


  it('GET /api → login → GET /api with the token → refresh, and the refresh token keeps working', async () => {
    const before = await http(gw.http, 'GET', '/api');
    expect(before.status).toBe(200);
    expect(before.json.app).toBe('datarhei-core');
    expect(before.json.auths[0]).toBe('localjwt');
    expect(before.json.version.number).toMatch(/^16\./);
    expect(before.json.id).toBeUndefined();

    const tokens = (await login({ username: 'bob', password: 'bob password 1' })).json;
    const after = await http(gw.http, 'GET', '/api', { headers: { authorization: `bearer ${tokens.access_token}` } });
    expect(after.json.id).toEqual(expect.any(String));
    expect(after.json.id.length).toBeGreaterThan(0);

    const start = gw.clock.now;
    try {
      for (let i = 0; i < 5; i++) {
        gw.clock.advance(5 * 60_000);
        const r = await http(gw.http, 'GET', '/api/login/refresh', { headers: bearer(tokens.refresh_token) });
        expect(r.status).toBe(200);
        expect(Object.keys(r.json)).toEqual(['access_token']);
        expect((await http(gw.http, 'GET', '/api', { headers: bearer(r.json.access_token) })).json.id).toBeTruthy();
      }
      gw.clock.advance(86_400_000);
      expect((await http(gw.http, 'GET', '/api/login/refresh', { headers: bearer(tokens.refresh_token) })).json).toEqual(INVALID_JWT);
    } finally {
      gw.clock.now = start;
    }
  });

  it('a client refreshing every 5 minutes for a whole day is never logged out by reuse detection', async () => {
    const tokens = (await login({ username: 'bob', password: 'bob password 1' })).json;
    const start = gw.clock.now;
    try {
      for (let minute = 5; minute < 24 * 60; minute += 5) {
        gw.clock.now = start + minute * 60_000;
        const r = await http(gw.http, 'GET', '/api/login/refresh', { headers: bearer(tokens.refresh_token) });
        if (r.status !== 200) throw new Error(`refresh at minute ${minute} answered ${r.status}`);
      }
    } finally {
      gw.clock.now = start;
    }
  });

  it('refresh refuses an access token, garbage, a missing header, and a revoked refresh token', async () => {
    const tokens = (await login({ username: 'bob', password: 'bob password 1' })).json;
    for (const headers of [bearer(tokens.access_token), bearer('garbage'), {}]) {
      const r = await http(gw.http, 'GET', '/api/login/refresh', { headers });
      expect(r.status).toBe(401);
      expect(r.json).toEqual(INVALID_JWT);
    }
    expect(await gw.gateway.core.identity.refresh.revoke(tokens.refresh_token)).toBe(true);
    expect((await http(gw.http, 'GET', '/api/login/refresh', { headers: bearer(tokens.refresh_token) })).status).toBe(401);
  });
});

describe('resource servers and datarhei tokens', () => {
  const basic = { authorization: `Basic ${Buffer.from('rs:0123456789abcdef').toString('base64')}` };
  const form = (token: string) => ({ raw: `token=${encodeURIComponent(token)}`, type: 'application/x-www-form-urlencoded', headers: basic });

  it('introspection tells the refresh JWT from the access JWT; revoking the refresh JWT revokes its family', async () => {
    const tokens = (await login({ username: 'bob', password: 'bob password 1' })).json;
    expect((await http(gw.http, 'POST', '/oauth2/introspect', form(tokens.refresh_token))).json).toMatchObject({ active: true, token_type: 'refresh_token', username: 'bob' });
    expect((await http(gw.http, 'POST', '/oauth2/introspect', form(tokens.access_token))).json).toMatchObject({ active: true, token_type: 'access_token', sub: 'bob', tenant: 'acme' });
    expect((await http(gw.http, 'POST', '/oauth2/revoke', form(tokens.refresh_token))).status).toBe(200);
    expect((await http(gw.http, 'GET', '/api/login/refresh', { headers: bearer(tokens.refresh_token) })).json).toEqual(INVALID_JWT);
    expect((await http(gw.http, 'POST', '/oauth2/introspect', form(tokens.refresh_token))).json).toEqual({ active: false });
  });

  it('malformed client credentials are 401 invalid_client, never a 500', async () => {
    const r = await http(gw.http, 'POST', '/oauth2/introspect', { raw: 'token=x', type: 'application/x-www-form-urlencoded', headers: { authorization: `Basic ${Buffer.from('%:x').toString('base64')}` } });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error: 'invalid_client' });
  });
});

describe('external identity provider login', () => {
  const idpToken = (claims: Record<string, unknown>, options: jwt.SignOptions = {}) =>
    jwt.sign({ iss: 'https://idp.example/', aud: 'restreamer', sub: 'auth0|alice', ...claims }, idpKey, { algorithm: 'RS256', keyid: 'idp-1', expiresIn: 300, ...options });

  it('logs in a mapped subject; sub is the IdP subject', async () => {
    const r = await http(gw.http, 'POST', '/api/login', { headers: bearer(idpToken({})) });
    expect(r.status).toBe(200);
    expect(jwt.decode(r.json.access_token)).toMatchObject({ sub: 'auth0|alice', tenant: 'acme', usefor: 'access' });
  });

  it.each([
    ['wrong audience', () => idpToken({ aud: 'someone-else' }), /audience/],
    ['expired', () => idpToken({}, { expiresIn: -60 }), /expired/],
    ['unknown kid', () => idpToken({}, { keyid: 'other' }), /unknown kid/],
    ['unmapped subject', () => idpToken({ sub: 'auth0|eve' }), /not allowed/],
    ['mapped to a missing user', () => idpToken({ sub: 'auth0|ghost' }), /not allowed/],
    ['bad signature', () => jwt.sign({ iss: 'https://idp.example/', aud: 'restreamer', sub: 'auth0|alice' }, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, { algorithm: 'RS256', keyid: 'idp-1' }), /invalid/],
  ])('%s: 401 naming the reason', async (_n, make, reason) => {
    const r = await http(gw.http, 'POST', '/api/login', { headers: bearer(make()) });
    expect(r.status).toBe(401);
    expect(r.json.code).toBe(401);
    expect(r.json.details[0]).toMatch(reason);
  });

  it('refetches the JWKS for an unknown kid at most once per interval', async () => {
    const before = jwksHits;
    for (let i = 0; i < 5; i++) await http(gw.http, 'POST', '/api/login', { headers: bearer(idpToken({}, { keyid: `nope-${i}` })) });
    expect(jwksHits - before).toBeLessThanOrEqual(1);
  });
});

describe('brute force', () => {
  it('locks an account after the threshold and answers 429 with Retry-After at once; the right password is refused while locked', async () => {
    await gw.gateway.core.identity.users.add({ username: 'carol', tenantId: 'acme', password: 'carol password' });
    let last;
    for (let i = 0; i < 4; i++) last = await login({ username: 'carol', password: `wrong-${i}` });
    const t = Date.now();
    const locked = await login({ username: 'carol', password: 'carol password' });
    expect(Date.now() - t).toBeLessThan(1000);
    expect(last!.status).toBe(401);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.json).toMatchObject({ code: 429, message: 'Too Many Requests' });
    const audit = await gw.gateway.core.store.listAudit(20);
    expect(audit.some((e) => e.event === 'lockout' && e.username === 'carol')).toBe(true);
  });

  it('parallel guesses cannot slip past the count: only the attempts the policy allows are checked', async () => {
    gw.clock.advance(16 * 60_000); // a fresh window for the shared address counter
    await gw.gateway.core.identity.users.add({ username: 'dave', tenantId: 'acme', password: 'dave password 1' });
    const guesses = Array.from({ length: 40 }, (_, i) => login({ username: 'dave', password: i === 39 ? 'dave password 1' : `guess-${i}` }));
    const statuses = (await Promise.all(guesses)).map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(4);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(35);
  });

  it('never writes a password or token to the log', () => {
    const log = gw.logs.join('');
    for (const secret of ['correct horse battery', 'bob password 1', 'carol password', 'wrong-1']) expect(log).not.toContain(secret);
    expect(log).toContain('audit login');
  });
});

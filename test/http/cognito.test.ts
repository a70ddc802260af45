/** The Cognito-style login API (/Login, /RespondToAuthChallenge, /RefreshToken), byte for byte, against the running bridge. */
import { createPublicKey, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { http, HttpResult } from '../support/http';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
const secrets: string[] = [];

const BAD = { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' };
const INVALID_SESSION = { __type: 'NotAuthorizedException', message: 'Invalid session for the user.' };
const INVALID_REFRESH = { __type: 'NotAuthorizedException', message: 'Invalid Refresh Token' };
const invalidParameter = (message: string) => ({ __type: 'InvalidParameterException', message });
const missing = (name: string) => invalidParameter(`Missing or invalid parameter ${name}.`);
const UNREADABLE = invalidParameter('Request body must be a JSON object.');

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }, { tenantId: 'globex' }], config: { lockoutThreshold: 3 } });
});

afterAll(() => gw.close());

// Failures from 127.0.0.1 add up per address across the file; a new lockout window per test keeps tests independent.
beforeEach(() => gw.clock.advance(16 * 60_000));

/** A fresh user (counters are per account and per address); its password is remembered for the log check. */
async function newUser(options: { mustChangePassword?: boolean; email?: string; role?: string; tenantId?: string } = {}) {
  const username = `u-${randomUUID().slice(0, 8)}`;
  const password = `pw-${randomUUID()}`;
  secrets.push(password);
  const user = await gw.gateway.core.identity.users.add({ username, password, tenantId: options.tenantId ?? 'acme', role: options.role, email: options.email, mustChangePassword: options.mustChangePassword });
  return { ...user, password };
}

const post = (path: string, body: unknown, type?: string) => http(gw.http, 'POST', path, { body, type });
const login = (UserName: string, Password: string, TenantName = 'acme') => post('/Login', { UserName, TenantName, Password });

/** Verifies a token with the published JWKS, as any relying party would. */
async function verifyWithJwks(token: string): Promise<jwt.JwtPayload> {
  const jwks = (await http(gw.http, 'GET', '/.well-known/jwks.json')).json;
  const { header } = jwt.decode(token, { complete: true })!;
  const jwk = jwks.keys.find((k: { kid: string }) => k.kid === header.kid);
  return jwt.verify(token, createPublicKey({ key: jwk, format: 'jwk' }), { algorithms: ['ES256'], clockTimestamp: Math.floor(gw.clock.now / 1000) }) as jwt.JwtPayload;
}

function expectTokens(r: HttpResult, withRefresh: boolean) {
  expect(r.status).toBe(200);
  expect(Object.keys(r.json)).toEqual(['cognitoToken']);
  expect(Object.keys(r.json.cognitoToken)).toEqual(['ChallengeParameters', 'AuthenticationResult']);
  expect(r.json.cognitoToken.ChallengeParameters).toEqual({});
  const result = r.json.cognitoToken.AuthenticationResult;
  expect(Object.keys(result)).toEqual(withRefresh ? ['IdToken', 'TokenType', 'ExpiresIn', 'RefreshToken', 'AccessToken'] : ['IdToken', 'TokenType', 'ExpiresIn', 'AccessToken']);
  expect(result).toMatchObject({ TokenType: 'Bearer', ExpiresIn: 3600 });
  for (const t of [result.IdToken, result.AccessToken, ...(withRefresh ? [result.RefreshToken] : [])]) {
    expect(typeof t).toBe('string');
    secrets.push(t);
  }
  return result as { IdToken: string; TokenType: string; ExpiresIn: number; RefreshToken: string; AccessToken: string };
}

describe('POST /Login', () => {
  it('answers the Cognito envelope; ID and access tokens carry Cognito claims and the tenant and verify with the JWKS', async () => {
    const u = await newUser({ email: 'alice@acme.example', role: 'admin' });
    const result = expectTokens(await login(u.username, u.password), true);
    const now = Math.floor(gw.clock.now / 1000);

    const id = await verifyWithJwks(result.IdToken);
    expect(id).toMatchObject({ sub: u.userId, aud: 'master-gateway', token_use: 'id', 'cognito:username': u.username, 'cognito:groups': ['admin'], auth_time: now, email: 'alice@acme.example', 'custom:tenant': 'acme', tenant: 'acme', iss: 'master-gateway' });
    expect(id.exp! - id.iat!).toBe(3600);
    expect(typeof id.jti).toBe('string');

    const access = await verifyWithJwks(result.AccessToken);
    expect(access).toMatchObject({ sub: u.userId, token_use: 'access', client_id: 'master-gateway', scope: 'aws.cognito.signin.user.admin', username: u.username, auth_time: now, tenant: 'acme' });
    expect(access.aud).toBeUndefined();
    expect(access.jti).not.toBe(id.jti);
    expect(result.RefreshToken).not.toContain('.'); // opaque, not a JWT
  });

  it('leaves email out of the ID token when the user has none', async () => {
    const u = await newUser();
    const id = await verifyWithJwks(expectTokens(await login(u.username, u.password), true).IdToken);
    expect(id).not.toHaveProperty('email');
    expect(id['cognito:groups']).toEqual(['user']);
  });

  it('accepts the AWS JSON protocol content type as well as application/json', async () => {
    const u = await newUser();
    expectTokens(await post('/Login', { UserName: u.username, TenantName: 'acme', Password: u.password }, 'application/x-amz-json-1.1'), true);
    expectTokens(await post('/Login', { UserName: u.username, TenantName: 'acme', Password: u.password }, 'application/json; charset=utf-8'), true);
  });

  it('unknown user, wrong password and wrong tenant answer the same 401 body', async () => {
    const u = await newUser();
    const answers = [await login(u.username, 'wrong password'), await login(`ghost-${randomUUID().slice(0, 8)}`, 'whatever'), await login(u.username, u.password, 'globex'), await login(u.username, u.password, 'no-such-tenant')];
    for (const r of answers) {
      expect(r.status).toBe(401);
      expect(r.json).toEqual(BAD);
      expect(r.headers.get('x-amzn-errortype')).toBe('NotAuthorizedException');
    }
  });

  it.each([
    ['missing UserName', { body: { TenantName: 'acme', Password: 'x' } }, missing('UserName')],
    ['missing TenantName', { body: { UserName: 'alice', Password: 'x' } }, missing('TenantName')],
    ['missing Password', { body: { UserName: 'alice', TenantName: 'acme' } }, missing('Password')],
    ['empty strings', { body: { UserName: '', TenantName: 'acme', Password: 'x' } }, missing('UserName')],
    ['wrong types', { body: { UserName: 'alice', TenantName: ['acme'], Password: 1 } }, missing('TenantName')],
    ['lower-case field names', { body: { username: 'alice', tenantName: 'acme', password: 'x' } }, missing('UserName')],
    ['malformed JSON', { raw: '{"UserName":' }, UNREADABLE],
    ['empty body', { raw: '' }, UNREADABLE],
    ['a JSON array', { raw: '[]' }, UNREADABLE],
    ['JSON null', { raw: 'null' }, UNREADABLE],
    ['a form body', { raw: 'UserName=alice&Password=x', type: 'application/x-www-form-urlencoded' }, invalidParameter('Content-Type must be application/x-amz-json-1.1 or application/json.')],
    ['text/plain JSON', { raw: '{"UserName":"a","TenantName":"b","Password":"c"}', type: 'text/plain' }, invalidParameter('Content-Type must be application/x-amz-json-1.1 or application/json.')],
  ])('%s: 400 InvalidParameterException', async (_n, o, body) => {
    const r = await http(gw.http, 'POST', '/Login', o as never);
    expect(r.status).toBe(400);
    expect(r.json).toEqual(body);
  });

  it('a body over 64 KiB is refused in the Cognito shape', async () => {
    const r = await http(gw.http, 'POST', '/Login', { raw: JSON.stringify({ UserName: 'a', TenantName: 'acme', Password: 'x'.repeat(70_000) }) });
    expect(r.status).toBe(413);
    expect(r.json).toEqual(invalidParameter('Request body is too large.'));
  });

  it.each([
    ['GET', '/Login'],
    ['POST', '/Login/extra'],
    ['GET', '/RefreshToken'],
    ['POST', '/RespondToAuthChallenge/x'],
  ])('%s %s: unknown operation in the Cognito shape', async (method, path) => {
    const r = await http(gw.http, method, path);
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ __type: 'UnknownOperationException', message: 'Unknown operation.' });
  });
});

describe('brute force', () => {
  it('locks the account at the threshold: 429 TooManyRequestsException with Retry-After at once, the right password refused while locked', async () => {
    const u = await newUser();
    for (let i = 0; i < 3; i++) expect((await login(u.username, `wrong-${i}`)).status).toBe(401);
    const t = Date.now();
    const locked = await login(u.username, u.password);
    expect(Date.now() - t).toBeLessThan(1000);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.json).toEqual({ __type: 'TooManyRequestsException', message: 'Rate exceeded' });
    const audit = await gw.gateway.core.store.listAudit(50);
    expect(audit.some((e) => e.event === 'lockout' && e.username === u.username && e.dialect === 'cognito')).toBe(true);
  });
});

describe('NEW_PASSWORD_REQUIRED', () => {
  async function challenge(u: { username: string; password: string }) {
    const r = await login(u.username, u.password);
    expect(r.status).toBe(200);
    secrets.push(r.json.cognitoToken.Session);
    return r;
  }
  const respond = (Session: unknown, USERNAME: unknown, NEW_PASSWORD: unknown, ChallengeName: unknown = 'NEW_PASSWORD_REQUIRED') =>
    post('/RespondToAuthChallenge', { ChallengeName, Session, ChallengeResponses: { USERNAME, NEW_PASSWORD } });

  it('answers the challenge without tokens, then sets the password and answers the tokens; the old password stops working', async () => {
    const u = await newUser({ mustChangePassword: true, email: 'new@acme.example' });
    const r = await challenge(u);
    expect(Object.keys(r.json)).toEqual(['cognitoToken']);
    expect(Object.keys(r.json.cognitoToken).sort()).toEqual(['ChallengeName', 'ChallengeParameters', 'Session']);
    const { ChallengeName, ChallengeParameters, Session } = r.json.cognitoToken;
    expect(ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    expect(Object.keys(ChallengeParameters).sort()).toEqual(['USER_ID_FOR_SRP', 'requiredAttributes', 'userAttributes']);
    expect(ChallengeParameters.USER_ID_FOR_SRP).toBe(u.username);
    expect(ChallengeParameters.requiredAttributes).toBe('[]');
    expect(JSON.parse(ChallengeParameters.userAttributes)).toEqual({ email: 'new@acme.example', 'custom:tenant': 'acme' });
    expect(typeof Session).toBe('string');

    const newPassword = `new-${randomUUID()}`;
    secrets.push(newPassword);
    const done = await respond(Session, u.username, newPassword);
    const result = expectTokens(done, true);
    expect(await verifyWithJwks(result.IdToken)).toMatchObject({ sub: u.userId, token_use: 'id', tenant: 'acme' });
    expect((await gw.gateway.core.identity.users.find(u.username))!.mustChangePassword).toBe(false);

    expect((await login(u.username, u.password)).json).toEqual(BAD);
    expectTokens(await login(u.username, newPassword), true);
    const audit = await gw.gateway.core.store.listAudit(50);
    expect(audit.some((e) => e.event === 'password_change' && e.outcome === 'success' && e.username === u.username)).toBe(true);
  });

  it('refuses a reused session', async () => {
    const u = await newUser({ mustChangePassword: true });
    const { Session } = (await challenge(u)).json.cognitoToken;
    expectTokens(await respond(Session, u.username, 'first new password'), true);
    const again = await respond(Session, u.username, 'second new password');
    expect(again.status).toBe(401);
    expect(again.json).toEqual(INVALID_SESSION);
    expect((await login(u.username, 'second new password')).status).toBe(401);
  });

  it('lets only one of several concurrent answers with one session through', async () => {
    const u = await newUser({ mustChangePassword: true });
    const { Session } = (await challenge(u)).json.cognitoToken;
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => respond(Session, u.username, `concurrent ${i} password`)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
  });

  it('refuses an expired session (3 minutes)', async () => {
    const u = await newUser({ mustChangePassword: true });
    const { Session } = (await challenge(u)).json.cognitoToken;
    gw.clock.advance(3 * 60_000 + 1000);
    const r = await respond(Session, u.username, 'a new password');
    expect(r.status).toBe(401);
    expect(r.json).toEqual(INVALID_SESSION);
  });

  it("refuses another user's session, a forged one, and garbage", async () => {
    const a = await newUser({ mustChangePassword: true });
    const b = await newUser({ mustChangePassword: true });
    const sa: string = (await challenge(a)).json.cognitoToken.Session;
    const sb: string = (await challenge(b)).json.cognitoToken.Session;
    const [payload, mac] = sa.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const otherPayload = Buffer.from(JSON.stringify({ ...claims, u: b.userId })).toString('base64url');
    const later = Buffer.from(JSON.stringify({ ...claims, e: claims.e + 3_600_000 })).toString('base64url');
    for (const [session, username] of [
      [sa, b.username],
      [sb, a.username],
      [`${otherPayload}.${mac}`, b.username],
      [`${later}.${mac}`, a.username],
      [`${payload}.${Buffer.alloc(32).toString('base64url')}`, a.username],
      ['garbage', a.username],
      [`${sa}.extra`, a.username],
      ['x'.repeat(5000), a.username],
    ]) {
      const r = await respond(session, username, 'a new password');
      expect(r.status).toBe(401);
      expect(r.json).toEqual(INVALID_SESSION);
    }
    // Both sessions are still good for their own users.
    expectTokens(await respond(sa, a.username, 'a new password'), true);
    expectTokens(await respond(sb, b.username, 'b new password'), true);
  });

  it('refuses a session once the password was set another way', async () => {
    const u = await newUser({ mustChangePassword: true });
    const { Session } = (await challenge(u)).json.cognitoToken;
    await gw.gateway.core.identity.users.setPassword(u.username, 'set by an admin', { mustChange: true });
    expect((await respond(Session, u.username, 'a new password')).json).toEqual(INVALID_SESSION);
  });

  it('a too-short new password is InvalidPasswordException and the session can be answered again', async () => {
    const u = await newUser({ mustChangePassword: true });
    const { Session } = (await challenge(u)).json.cognitoToken;
    const r = await respond(Session, u.username, 'short');
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ __type: 'InvalidPasswordException', message: 'Password does not conform to policy: Password must be between 8 and 1024 characters.' });
    expectTokens(await respond(Session, u.username, 'long enough now'), true);
  });

  it.each([
    ['another challenge', { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 's', ChallengeResponses: { USERNAME: 'a', NEW_PASSWORD: 'b' } }, invalidParameter('Unsupported ChallengeName.')],
    ['no Session', { ChallengeName: 'NEW_PASSWORD_REQUIRED', ChallengeResponses: { USERNAME: 'a', NEW_PASSWORD: 'b' } }, missing('Session')],
    ['no ChallengeResponses', { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's' }, missing('ChallengeResponses')],
    ['ChallengeResponses an array', { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's', ChallengeResponses: [] }, missing('ChallengeResponses')],
    ['no USERNAME', { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's', ChallengeResponses: { NEW_PASSWORD: 'b' } }, missing('ChallengeResponses.USERNAME')],
    ['NEW_PASSWORD a number', { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's', ChallengeResponses: { USERNAME: 'a', NEW_PASSWORD: 12345678 } }, missing('ChallengeResponses.NEW_PASSWORD')],
  ])('%s: 400 InvalidParameterException', async (_n, body, expected) => {
    const r = await post('/RespondToAuthChallenge', body);
    expect(r.status).toBe(400);
    expect(r.json).toEqual(expected);
  });
});

describe('POST /RefreshToken (REFRESH_TOKEN_AUTH)', () => {
  it('answers new ID and access tokens and no refresh token; the same refresh token keeps working until it expires', async () => {
    const u = await newUser({ role: 'admin' });
    const loginTime = Math.floor(gw.clock.now / 1000);
    const first = expectTokens(await login(u.username, u.password), true);
    for (let i = 0; i < 3; i++) {
      gw.clock.advance(24 * 3600_000);
      const r = await post('/RefreshToken', { RefreshToken: first.RefreshToken });
      const result = expectTokens(r, false);
      expect(result.IdToken).not.toBe(first.IdToken);
      expect(await verifyWithJwks(result.IdToken)).toMatchObject({ sub: u.userId, token_use: 'id', auth_time: loginTime, 'cognito:groups': ['admin'], tenant: 'acme' });
      expect(await verifyWithJwks(result.AccessToken)).toMatchObject({ sub: u.userId, token_use: 'access', auth_time: loginTime, tenant: 'acme' });
    }
    gw.clock.advance(30 * 86_400_000);
    const expired = await post('/RefreshToken', { RefreshToken: first.RefreshToken });
    expect(expired.status).toBe(401);
    expect(expired.json).toEqual(INVALID_REFRESH);
  });

  it('refuses a revoked, unknown or foreign-dialect refresh token, and one from before a password change', async () => {
    const u = await newUser();
    const a = expectTokens(await login(u.username, u.password), true);
    expect(await gw.gateway.core.identity.refresh.revoke(a.RefreshToken)).toBe(true);
    const b = expectTokens(await login(u.username, u.password), true);
    await gw.gateway.core.identity.users.setPassword(u.username, 'changed by an admin');
    const foreign = await gw.gateway.core.identity.refresh.issue((await gw.gateway.core.identity.users.find(u.username))!, 'monogoto', { rotating: true, ttlSeconds: 600 });
    for (const token of [a.RefreshToken, b.RefreshToken, foreign.token, 'garbage', a.AccessToken]) {
      const r = await post('/RefreshToken', { RefreshToken: token });
      expect(r.status).toBe(401);
      expect(r.json).toEqual(INVALID_REFRESH);
    }
  });

  it.each([
    ['missing', { body: {} }, missing('RefreshToken')],
    ['a number', { body: { RefreshToken: 5 } }, missing('RefreshToken')],
    ['malformed JSON', { raw: '{' }, UNREADABLE],
  ])('RefreshToken %s: 400 InvalidParameterException', async (_n, o, expected) => {
    const r = await http(gw.http, 'POST', '/RefreshToken', o as never);
    expect(r.status).toBe(400);
    expect(r.json).toEqual(expected);
  });
});

describe('logs', () => {
  it('never contain a password, token or session', () => {
    const log = gw.logs.join('');
    expect(log).toContain('audit login');
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(log).not.toContain(secret);
    for (const literal of ['first new password', 'a new password', 'long enough now', 'wrong-1']) expect(log).not.toContain(literal);
  });
});

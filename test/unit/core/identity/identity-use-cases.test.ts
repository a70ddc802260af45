/**
 * The identity use cases over a real embedded store file and an injected clock: each rule is tested
 * so that dropping it fails a test (lockout, audit of a success, the refresh family rule, the
 * account proof, the challenge, who may revoke).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Core, createCore } from '../../../../src/core/create-core';
import { createIdentityUseCases, IdentityUseCases } from '../../../../src/core/identity/identity-use-cases';
import { LoginProfile } from '../../../../src/core/identity/login-profile';
import { openSqliteStore } from '../../../../src/store/sqlite/sqlite-store';
import { testSecretBox } from '../../../support/secret-box';

const START = 1_800_000_000_000;
const LOCKOUT_SECONDS = 900;
const ADDRESS = '192.0.2.10';
let now = START;
const clock = () => now;
let dir: string;
let core: Core;
let identity: IdentityUseCases;
let serial = 0;

/** A rotating profile whose one access token shows what the session was. */
const ROTATING: LoginProfile<'access'> = {
  dialect: 'rotating',
  access: ({ user, subject, authTime }) => ({ access: { claims: { sub: user.userId, tenant: user.tenantId, subject, auth_time: authTime }, ttlSeconds: 600 } }),
  refresh: { rotating: true, ttlSeconds: 3600 },
};
const REUSABLE: LoginProfile<'access'> = { ...ROTATING, dialect: 'reusable', refresh: { rotating: false, ttlSeconds: 3600 } };
/** datarhei's kind: the refresh token is a JWT of ours. */
const JWT_REFRESH: LoginProfile<'access'> = {
  ...REUSABLE,
  dialect: 'jwt-refresh',
  refresh: { rotating: false, ttlSeconds: 3600, jwt: ({ user, subject }) => ({ claims: { sub: subject, tenant: user.tenantId, uid: user.userId }, ttlSeconds: 3600 }) },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mgw-use-cases-'));
  const store = openSqliteStore(join(dir, 'gateway.db'), { pollMs: 0 });
  await store.addTenants([{ tenantId: 'acme', gatewayIds: [] }]);
  core = await createCore({
    store,
    clock,
    log: pino({ level: 'silent' }),
    tokenIssuer: 'test-issuer',
    tokenTtlSeconds: 600,
    passwordCost: { memoryKib: 64, timeCost: 1, parallelism: 1 },
    lockoutThreshold: 3,
    lockoutSeconds: LOCKOUT_SECONDS,
    secretBox: testSecretBox(),
  });
  identity = await createIdentityUseCases(core, { issuer: 'test-issuer', revocationClients: ['privileged'] });
});
afterAll(async () => {
  await core.close();
  await core.store.close();
  rmSync(dir, { recursive: true, force: true });
});
// Each test starts past the lockout windows of the ones before (they share the address).
beforeEach(() => {
  now += 2 * LOCKOUT_SECONDS * 1000;
});

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);

async function newUser(extra: { mustChangePassword?: boolean } = {}) {
  const password = `password ${++serial}`;
  const user = await core.identity.users.add({ username: `user${serial}`, tenantId: 'acme', password, ...extra });
  return { user, username: user.username, password };
}

const auditOf = async (username: string) => (await core.store.listAudit(1000)).filter((e) => e.username === username);

describe('login', () => {
  it('issues verifiable tokens and audits the success', async () => {
    const { user, username, password } = await newUser();
    const issued = await identity.login({ username, password, address: ADDRESS }, ROTATING);
    expect(await core.identity.access.verify(issued.access.access)).toMatchObject({ sub: user.userId, tenant: 'acme', subject: username, auth_time: now / 1000 });
    expect(issued.refreshToken).toEqual(expect.any(String));
    expect(await auditOf(username)).toEqual([expect.objectContaining({ event: 'login', outcome: 'success', dialect: 'rotating', address: ADDRESS, tenantId: 'acme' })]);
  });

  it('locks the account at the threshold: the right password is refused until the lockout ends', async () => {
    const { username, password } = await newUser();
    for (let i = 0; i < 3; i++) expect(await code(identity.login({ username, password: `wrong ${i}`, address: ADDRESS }, ROTATING))).toBe('ERR_INVALID_CREDENTIALS');
    expect(await code(identity.login({ username, password, address: ADDRESS }, ROTATING))).toBe('ERR_TOO_MANY_ATTEMPTS');
    expect((await auditOf(username)).some((e) => e.event === 'lockout')).toBe(true);
    now += LOCKOUT_SECONDS * 1000;
    expect(await code(identity.login({ username, password, address: ADDRESS }, ROTATING))).toBe('ok');
  });

  it('names the role for a profile that asks for it', async () => {
    await core.store.putRole({ name: 'user', permissions: { Devices: ['view'] }, createdAt: now, updatedAt: now });
    const { username, password } = await newUser();
    expect((await identity.login({ username, password, address: ADDRESS }, { ...ROTATING, withRole: true })).role?.permissions).toEqual({ Devices: ['view'] });
    expect((await identity.login({ username, password, address: ADDRESS }, ROTATING)).role).toBeUndefined();
  });
});

describe('the password change challenge', () => {
  it('refuses a user who must change their password where no challenge is offered; offers one where it is', async () => {
    const { username, password } = await newUser({ mustChangePassword: true });
    expect(await code(identity.login({ username, password, address: ADDRESS }, ROTATING))).toBe('ERR_PASSWORD_CHANGE_REQUIRED');
    const result = await identity.loginOrChallenge({ username, password, address: ADDRESS }, REUSABLE);
    expect(result).toMatchObject({ kind: 'challenge', challenge: 'NEW_PASSWORD_REQUIRED', session: expect.any(String) });
  });

  it('checks the new password, spends the session, sets the password and issues the tokens of a login', async () => {
    const { username, password } = await newUser({ mustChangePassword: true });
    const result = await identity.loginOrChallenge({ username, password, address: ADDRESS }, REUSABLE);
    if (result.kind !== 'challenge') throw new Error('expected a challenge');
    const answer = { session: result.session, username, address: ADDRESS };
    expect(await code(identity.answerChallenge({ ...answer, newPassword: 'short' }, REUSABLE))).toBe('ERR_PASSWORD_POLICY');
    expect(await code(identity.answerChallenge({ ...answer, username: 'someone-else', newPassword: 'a new password' }, REUSABLE))).toBe('ERR_SESSION_NOT_FOUND');
    const issued = await identity.answerChallenge({ ...answer, newPassword: 'a new password' }, REUSABLE);
    expect(issued.refreshToken).toEqual(expect.any(String));
    expect((await core.identity.users.find(username))!.mustChangePassword).toBe(false);
    expect(await code(identity.answerChallenge({ ...answer, newPassword: 'another password' }, REUSABLE))).toBe('ERR_SESSION_NOT_FOUND');
    expect(await code(identity.login({ username, password: 'a new password', address: ADDRESS }, REUSABLE))).toBe('ok');
    const events = (await auditOf(username)).map((e) => `${e.event} ${e.outcome}`);
    expect(events).toEqual(expect.arrayContaining(['password_change success', 'password_change failure', 'login success']));
  });
});

describe('refresh', () => {
  it('rotating: each token is single use; presenting a spent one kills the whole family and is an incident', async () => {
    const { username, password } = await newUser();
    const first = await identity.login({ username, password, address: ADDRESS }, ROTATING);
    const second = await identity.refresh(first.refreshToken!, ADDRESS, ROTATING);
    expect(second.refreshToken).toEqual(expect.any(String));
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const other = await identity.login({ username, password, address: ADDRESS }, ROTATING); // another family
    expect(await code(identity.refresh(first.refreshToken!, ADDRESS, ROTATING))).toBe('ERR_TOKEN_INVALID');
    expect(await code(identity.refresh(second.refreshToken!, ADDRESS, ROTATING))).toBe('ERR_TOKEN_INVALID');
    expect((await auditOf(username)).filter((e) => e.event === 'refresh_reuse')).toHaveLength(1);
    expect(await code(identity.refresh(other.refreshToken!, ADDRESS, ROTATING))).toBe('ok');
  });

  it('reusable: works again and again, issues no new refresh token, keeps the login time; only in its own dialect', async () => {
    const { username, password } = await newUser();
    const login = await identity.login({ username, password, address: ADDRESS }, REUSABLE);
    const loginTime = now / 1000;
    for (let i = 0; i < 3; i++) {
      now += 60_000;
      const issued = await identity.refresh(login.refreshToken!, ADDRESS, REUSABLE);
      expect(issued.refreshToken).toBeUndefined();
      expect(await core.identity.access.verify(issued.access.access)).toMatchObject({ auth_time: loginTime });
    }
    expect(await code(identity.refresh(login.refreshToken!, ADDRESS, ROTATING))).toBe('ERR_TOKEN_INVALID');
    now += 3600_000;
    expect(await code(identity.refresh(login.refreshToken!, ADDRESS, REUSABLE))).toBe('ERR_TOKEN_INVALID');
  });

  it('a JWT refresh token keeps the subject of the login, and must verify as a JWT of ours', async () => {
    const { username, password } = await newUser();
    const login = await identity.login({ username, password, address: ADDRESS }, JWT_REFRESH);
    expect(await core.identity.access.verify(login.refreshToken!)).toMatchObject({ sub: username });
    const issued = await identity.refresh(login.refreshToken!, ADDRESS, JWT_REFRESH);
    expect(await core.identity.access.verify(issued.access.access)).toMatchObject({ subject: username });
    // Revoked as a JWT (its jti), though its refresh record is untouched: refused.
    await core.identity.access.revoke(await core.identity.access.verify(login.refreshToken!));
    expect(await code(identity.refresh(login.refreshToken!, ADDRESS, JWT_REFRESH))).toBe('ERR_TOKEN_INVALID');
  });
});

describe("EDR's two steps", () => {
  it('the login shows the account step’s proof, bound to that account; another one is refused like a wrong password', async () => {
    const a = await newUser();
    const b = await newUser();
    const proof = await identity.accountStep({ username: a.username, password: a.password, address: ADDRESS }, 'edr');
    expect(await code(identity.login({ username: b.username, password: b.password, accountProof: proof, address: ADDRESS }, ROTATING))).toBe('ERR_INVALID_CREDENTIALS');
    expect((await auditOf(b.username)).some((e) => e.outcome === 'failure' && e.detail === 'ERR_TOKEN_BINDING')).toBe(true);
    expect(await code(identity.login({ username: a.username, password: a.password, accountProof: proof, address: ADDRESS }, ROTATING))).toBe('ok');
    expect((await auditOf(a.username)).map((e) => e.detail)).toContain('account step: mobile jwt issued');
  });
});

describe('external login', () => {
  it('is refused when no identity provider is configured', async () => {
    expect(identity.externalLogin).toBe(false);
    expect(await code(identity.loginExternal('any token', ADDRESS, REUSABLE))).toBe('ERR_UNAUTHENTICATED');
  });
});

describe('introspection and revocation', () => {
  it('tells refresh and access tokens apart, and a spent rotating token is not active', async () => {
    const { user, username, password } = await newUser();
    const issued = await identity.login({ username, password, address: ADDRESS }, ROTATING);
    expect(await identity.introspect(issued.refreshToken!)).toMatchObject({ active: true, kind: 'refresh', user: { userId: user.userId } });
    expect(await identity.introspect(issued.access.access)).toMatchObject({ active: true, kind: 'access', user: { userId: user.userId } });
    expect(await identity.tokenUser(issued.access.access)).toMatchObject({ user: { userId: user.userId } });
    await identity.refresh(issued.refreshToken!, ADDRESS, ROTATING);
    expect(await identity.introspect(issued.refreshToken!)).toEqual({ active: false });
    expect(await identity.introspect('not a token')).toEqual({ active: false });
  });

  it('only a privileged client revokes a live token; a refusal leaves it in force; both are audited', async () => {
    const { username, password } = await newUser();
    const issued = await identity.login({ username, password, address: ADDRESS }, ROTATING);
    expect(await code(identity.revoke('ordinary', issued.access.access, ADDRESS))).toBe('ERR_PERMISSION_DENIED');
    expect(await identity.introspect(issued.access.access)).toMatchObject({ active: true });
    await identity.revoke('privileged', issued.access.access, ADDRESS);
    expect(await identity.introspect(issued.access.access)).toEqual({ active: false });
    await identity.revoke('privileged', issued.refreshToken!, ADDRESS);
    expect(await code(identity.refresh(issued.refreshToken!, ADDRESS, ROTATING))).toBe('ERR_TOKEN_INVALID');
    expect(await code(identity.revoke('ordinary', 'unknown token', ADDRESS))).toBe('ok');
    const revocations = (await core.store.listAudit(1000)).filter((e) => e.event === 'revocation').map((e) => e.outcome);
    expect(revocations).toEqual(expect.arrayContaining(['failure', 'success']));
  });
});

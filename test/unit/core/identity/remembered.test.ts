/**
 * The refresh's answers from memory without an await (`access.remembered`, `refresh.remembered`):
 * given only while `verify` and `check` would give the same answer from memory, and gone as soon
 * as a revocation, a user change, an expiry or a retired key says otherwise. Real embedded store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Core, createCore } from '../../../../src/core/create-core';
import { createIdentityUseCases, IdentityUseCases } from '../../../../src/core/identity/identity-use-cases';
import { LoginProfile } from '../../../../src/core/identity/login-profile';
import { hashToken } from '../../../../src/core/identity/token-hash';
import { retireSigningKey, rotateSigningKey } from '../../../../src/core/signing-keys';
import { openSqliteStore } from '../../../../src/store/sqlite/sqlite-store';
import { testSecretBox } from '../../../support/secret-box';

const ADDRESS = '192.0.2.30';
const ACCESS_TTL = 300;
const REUSABLE: LoginProfile<'access'> = {
  dialect: 'datarhei',
  access: ({ user, subject }) => ({ access: { claims: { sub: subject, tenant: user.tenantId, uid: user.userId }, ttlSeconds: ACCESS_TTL } }),
  refresh: { rotating: false, ttlSeconds: 86_400, jwt: ({ user, subject }) => ({ claims: { sub: subject, tenant: user.tenantId, uid: user.userId }, ttlSeconds: 3_600 }) },
};
const ROTATING: LoginProfile<'access'> = { ...REUSABLE, dialect: 'monogoto', refresh: { rotating: true, ttlSeconds: 86_400 } };

const box = testSecretBox();
let now = 1_800_000_000_000;
const clock = () => now;
let dir: string;
let core: Core;
let identity: IdentityUseCases;
let serial = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mgw-remembered-'));
  const store = openSqliteStore(join(dir, 'gateway.db'), { pollMs: 0 });
  const passwordCost = { memoryKib: 64, timeCost: 1, parallelism: 1 };
  core = await createCore({ store, clock, log: pino({ level: 'silent' }), tokenIssuer: 'test-issuer', tokenTtlSeconds: 600, passwordCost, secretBox: box });
  identity = await createIdentityUseCases(core, { issuer: 'test-issuer', revocationClients: ['privileged'] });
  await core.tenants.add([{ tenantId: 'acme', gatewayIds: [] }]);
});
afterAll(async () => {
  await core.close();
  await core.store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A user logged in, its refresh token used once (so both memories hold it). */
async function session(profile = REUSABLE) {
  const username = `user${++serial}`;
  await core.identity.users.add({ username, tenantId: 'acme', password: `password ${serial}` });
  const issued = await identity.login({ username, password: `password ${serial}`, address: ADDRESS }, profile);
  const token = issued.refreshToken!;
  const next = await identity.refresh(token, ADDRESS, profile);
  return { username, token, hash: hashToken(token), access: issued.access.access, next: next.refreshToken };
}

const access = { remembered: (hash: string) => core.identity.access.remembered(hash) };
const refresh = { remembered: (hash: string, dialect: string) => core.identity.refresh.remembered(hash, dialect) };

it('answers a used reusable token from memory, for its own dialect only', async () => {
  const s = await session();
  expect(access.remembered(s.hash)).toMatchObject({ sub: s.username });
  expect(refresh.remembered(s.hash, 'datarhei')).toMatchObject({ user: { username: s.username }, record: { tokenHash: s.hash } });
  expect(refresh.remembered(s.hash, 'cognito')).toBeUndefined();
  expect(refresh.remembered(hashToken('never issued'), 'datarhei')).toBeUndefined();
});

it('never answers a rotating token from memory (each one is read from the store)', async () => {
  const s = await session(ROTATING);
  expect(refresh.remembered(s.hash, 'monogoto')).toBeUndefined();
  expect(refresh.remembered(hashToken(s.next!), 'monogoto')).toBeUndefined();
});

it('forgets a token on a logout, a user disable and an access-token revocation before they return', async () => {
  const loggedOut = await session();
  await identity.revoke('privileged', loggedOut.token, ADDRESS);
  expect(refresh.remembered(loggedOut.hash, 'datarhei')).toBeUndefined();

  const disabled = await session();
  await identity.refresh(disabled.token, ADDRESS, REUSABLE);
  await core.identity.users.update(disabled.username, { disabled: true });
  expect(refresh.remembered(disabled.hash, 'datarhei')).toBeUndefined();

  const revoked = await session();
  await identity.introspect(revoked.access);
  expect(access.remembered(hashToken(revoked.access))).toBeDefined();
  await identity.revoke('privileged', revoked.access, ADDRESS);
  expect(access.remembered(hashToken(revoked.access))).toBeUndefined();
});

it('forgets a token once it expired or its signing key was retired', async () => {
  const s = await session();
  await identity.introspect(s.access);
  now += ACCESS_TTL * 1000;
  expect(access.remembered(hashToken(s.access))).toBeUndefined();
  expect(access.remembered(s.hash)).toBeDefined();

  const old = core.keys.signing().kid;
  await rotateSigningKey(core.store, box, clock);
  await retireSigningKey(core.store, old);
  await core.applyChange('keys');
  expect(access.remembered(s.hash)).toBeUndefined();
  expect(await identity.refresh(s.token, ADDRESS, REUSABLE).catch((e: { code?: string }) => e.code)).toBe('ERR_TOKEN_INVALID');
});

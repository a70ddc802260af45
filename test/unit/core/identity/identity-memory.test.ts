/**
 * What the identity core remembers (verified JWTs, active users, reusable refresh-token records) is
 * never an answer the store would not give: a disable, delete, password change, logout, revocation,
 * tenant delete or retired key is in force in the process that made it before the call returns, and
 * in another core on the same database once it heard of the change; a remembered token that expired
 * is refused. Two cores on one embedded database file, and on one PostgreSQL schema when
 * GATEWAY_TEST_DATABASE_URL is set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Core, createCore } from '../../../../src/core/create-core';
import { createIdentityUseCases, IdentityUseCases } from '../../../../src/core/identity/identity-use-cases';
import { LoginProfile } from '../../../../src/core/identity/login-profile';
import { retireSigningKey, rotateSigningKey } from '../../../../src/core/signing-keys';
import { openPostgresStore } from '../../../../src/store/postgres/postgres-store';
import { openSqliteStore } from '../../../../src/store/sqlite/sqlite-store';
import { Store, StoreTopic } from '../../../../src/store/store';
import { testSecretBox } from '../../../support/secret-box';
import { createSchemas, TEST_DATABASE_URL, urlWithSchema } from '../../store/postgres-test-database';

const ADDRESS = '192.0.2.20';
const ACCESS_TTL = 300;
/** The refresh JWT runs out long before its stored record: only the JWT's own expiry can refuse it then. */
const JWT_TTL = 600;
/** datarhei's kind: a reusable refresh token that is a JWT of ours. */
const PROFILE: LoginProfile<'access'> = {
  dialect: 'datarhei',
  access: ({ user, subject }) => ({ access: { claims: { sub: subject, tenant: user.tenantId, uid: user.userId }, ttlSeconds: ACCESS_TTL } }),
  refresh: { rotating: false, ttlSeconds: 86_400, jwt: ({ user, subject }) => ({ claims: { sub: subject, tenant: user.tenantId, uid: user.userId }, ttlSeconds: JWT_TTL }) },
};
/** Cognito's kind: an opaque reusable refresh token. */
const OPAQUE: LoginProfile<'access'> = { ...PROFILE, dialect: 'cognito', refresh: { rotating: false, ttlSeconds: 86_400 } };

/** One system secret for both cores: they share the sealed signing keys. */
const box = testSecretBox();
let now = 1_800_000_000_000;
const clock = () => now;
let serial = 0;

interface Instance {
  core: Core;
  identity: IdentityUseCases;
}

async function instance(store: Store): Promise<Instance> {
  const core = await createCore({
    store,
    clock,
    log: pino({ level: 'silent' }),
    tokenIssuer: 'test-issuer',
    tokenTtlSeconds: 600,
    passwordCost: { memoryKib: 64, timeCost: 1, parallelism: 1 },
    lockoutThreshold: 1000,
    lockoutSeconds: 60,
    secretBox: box,
  });
  return { core, identity: await createIdentityUseCases(core, { issuer: 'test-issuer', revocationClients: ['privileged'] }) };
}

/** Resolves once `store` heard another process change `topic` (after the core's own listener moved its epochs). */
const heard = (store: Store, topic: StoreTopic) =>
  new Promise<void>((resolve) => {
    const stop = store.onChange((t, external) => {
      if (t === topic && external) {
        stop();
        resolve();
      }
    });
  });

const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);

const backends: [string, boolean][] = [
  ['the embedded database', false],
  ['PostgreSQL', true],
];

describe.each(backends)('two cores on %s', (_name, postgres) => {
  const skip = postgres && !TEST_DATABASE_URL;
  const maybe = skip ? it.skip : it;
  const schemas = createSchemas();
  let dir: string;
  /** `a` makes the changes; `b` must hear of them. */
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    if (skip) return;
    dir = mkdtempSync(join(tmpdir(), 'mgw-identity-memory-'));
    const url = postgres ? urlWithSchema(await schemas.fresh()) : '';
    // The embedded store looks for the other process's commits every 10 ms.
    const open = async () => (postgres ? openPostgresStore(url) : openSqliteStore(join(dir, 'gateway.db'), { pollMs: 10 }));
    a = await instance(await open());
    b = await instance(await open());
    await a.core.tenants.add([{ tenantId: 'acme', gatewayIds: [] }]);
  }, 60_000);

  afterAll(async () => {
    if (skip) return;
    for (const { core } of [a, b]) {
      await core.close();
      await core.store.close();
    }
    await schemas.end();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A new user, logged in through `a`, its tokens remembered by both cores (each used twice). */
  async function session(profile = PROFILE, tenantId = 'acme') {
    const username = `user${++serial}`;
    const password = `password ${serial}`;
    await a.core.identity.users.add({ username, tenantId, password });
    const issued = await a.identity.login({ username, password, address: ADDRESS }, profile);
    const token = issued.refreshToken!;
    const access = issued.access.access;
    for (const { identity } of [a, b, a, b]) {
      expect(await outcome(identity.refresh(token, ADDRESS, profile))).toBe('ok');
      expect(await identity.introspect(access)).toMatchObject({ active: true, kind: 'access' });
    }
    return { username, token, access };
  }

  /** Refresh and introspection refused by both cores: `a` at once, `b` once it heard. */
  async function refusedEverywhere(s: { token: string; access: string }, profile: LoginProfile<'access'>, change: () => Promise<unknown>, topic: StoreTopic) {
    const told = heard(b.core.store, topic);
    await change();
    expect(await outcome(a.identity.refresh(s.token, ADDRESS, profile))).toBe('ERR_TOKEN_INVALID');
    expect(await a.identity.introspect(s.access)).toEqual({ active: false });
    await told;
    expect(await outcome(b.identity.refresh(s.token, ADDRESS, profile))).toBe('ERR_TOKEN_INVALID');
    expect(await b.identity.introspect(s.access)).toEqual({ active: false });
  }

  maybe('a disabled user', async () => {
    const s = await session();
    await refusedEverywhere(s, PROFILE, () => a.core.identity.users.update(s.username, { disabled: true }), 'users');
  });

  maybe('a deleted user', async () => {
    const s = await session(OPAQUE);
    await refusedEverywhere(s, OPAQUE, () => a.core.identity.users.remove(s.username), 'users');
  });

  maybe('a password change (the refresh token dies; the access token of the old session stays until it expires)', async () => {
    const s = await session(OPAQUE);
    const told = heard(b.core.store, 'users');
    await a.core.identity.users.setPassword(s.username, 'a brand new password');
    expect(await outcome(a.identity.refresh(s.token, ADDRESS, OPAQUE))).toBe('ERR_TOKEN_INVALID');
    await told;
    expect(await outcome(b.identity.refresh(s.token, ADDRESS, OPAQUE))).toBe('ERR_TOKEN_INVALID');
  });

  maybe('a logout (the refresh token revoked by a resource server) refuses that refresh token', async () => {
    const s = await session();
    const told = heard(b.core.store, 'users');
    await a.identity.revoke('privileged', s.token, ADDRESS);
    expect(await outcome(a.identity.refresh(s.token, ADDRESS, PROFILE))).toBe('ERR_TOKEN_INVALID');
    expect(await a.identity.introspect(s.token)).toEqual({ active: false });
    await told;
    expect(await outcome(b.identity.refresh(s.token, ADDRESS, PROFILE))).toBe('ERR_TOKEN_INVALID');
    expect(await b.identity.introspect(s.token)).toEqual({ active: false });
  });

  maybe('a revoked access token', async () => {
    const s = await session();
    const told = heard(b.core.store, 'tokens');
    await a.identity.revoke('privileged', s.access, ADDRESS);
    expect(await a.identity.introspect(s.access)).toEqual({ active: false });
    await told;
    expect(await b.identity.introspect(s.access)).toEqual({ active: false });
    // The refresh token is another token: still good.
    expect(await outcome(b.identity.refresh(s.token, ADDRESS, PROFILE))).toBe('ok');
  });

  maybe('a deleted tenant', async () => {
    await a.core.tenants.add([{ tenantId: `doomed${serial}`, gatewayIds: [] }]);
    const tenant = `doomed${serial}`;
    const s = await session(PROFILE, tenant);
    await refusedEverywhere(s, PROFILE, () => a.core.tenants.delete([tenant]), 'tenants');
  });

  maybe('a retired signing key', async () => {
    const s = await session();
    const old = a.core.keys.signing().kid;
    await rotateSigningKey(a.core.store, box, clock);
    const told = heard(b.core.store, 'keys');
    await retireSigningKey(a.core.store, old);
    await a.core.applyChange('keys');
    expect(await outcome(a.identity.refresh(s.token, ADDRESS, PROFILE))).toBe('ERR_TOKEN_INVALID');
    expect(await a.identity.introspect(s.access)).toEqual({ active: false });
    await told;
    await b.core.applyChange('keys');
    expect(await outcome(b.identity.refresh(s.token, ADDRESS, PROFILE))).toBe('ERR_TOKEN_INVALID');
    expect(await b.identity.introspect(s.access)).toEqual({ active: false });
  });

  maybe('a remembered token that expired: the access token, then the refresh JWT (its record still live)', async () => {
    const s = await session();
    now += ACCESS_TTL * 1000;
    for (const { identity } of [a, b]) {
      expect(await identity.introspect(s.access)).toEqual({ active: false });
      expect(await outcome(identity.refresh(s.token, ADDRESS, PROFILE))).toBe('ok');
    }
    now += (JWT_TTL - ACCESS_TTL) * 1000;
    for (const { identity } of [a, b]) expect(await outcome(identity.refresh(s.token, ADDRESS, PROFILE))).toBe('ERR_TOKEN_INVALID');
  });
});

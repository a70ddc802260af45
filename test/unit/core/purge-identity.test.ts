/**
 * The identity purge over a real embedded store: the cutoffs it derives from the clock (ms for the
 * lockout, seconds for refresh tokens), its batches, and how the core runs it.
 */
import { testSecretBox } from '../../support/secret-box';
import pino from 'pino';
import { Writable } from 'node:stream';
import { createCore } from '../../../src/core/create-core';
import { createDirectory } from '../../../src/core/directory';
import { createAudit } from '../../../src/core/identity/audit';
import { createLockout, DEFAULT_LOCKOUT } from '../../../src/core/identity/lockout';
import { createPasswords } from '../../../src/core/identity/passwords';
import { PURGE_BATCH, purgeIdentity, REFRESH_GRACE_SECONDS } from '../../../src/core/identity/purge-identity';
import { createRefreshTokens } from '../../../src/core/identity/refresh-tokens';
import { createUsers } from '../../../src/core/identity/users';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { Store } from '../../../src/store/store';

const START = 1_800_000_000_000;
const WINDOW = DEFAULT_LOCKOUT.windowMs;
const cost = { memoryKib: 64, timeCost: 1, parallelism: 1 };
let now: number;
const clock = () => now;
let store: Store;

beforeEach(async () => {
  now = START;
  store = openSqliteStore(':memory:', { pollMs: 0 });
  await store.addTenants([{ tenantId: 'acme', gatewayIds: [] }]);
});
afterEach(() => store.close());

async function identityParts() {
  const audit = createAudit(store, clock, pino({ level: 'silent' }));
  const lockout = createLockout(store, clock);
  const users = createUsers({ store, clock, passwords: await createPasswords(cost), lockout, audit, directory: await createDirectory(store, clock) });
  const user = await users.add({ username: 'erin', tenantId: 'acme', password: 'erin password' });
  return { lockout, user, refresh: createRefreshTokens(store, clock, users, audit) };
}

const purgeAt = (at: number, signal?: AbortSignal) => {
  now = at;
  return purgeIdentity(store, clock, WINDOW, signal);
};

it('keeps a failed login’s counters for the lockout window, in ms, and drops them after', async () => {
  const { lockout, user } = await identityParts();
  await (await lockout.begin({ userId: user.userId }, '192.0.2.7')).failed();
  expect(await purgeAt(START + WINDOW)).toEqual({ failureCounters: 0, refreshTokens: 0, refreshFamilies: 0 });
  expect(await store.getFailures([`user:${user.userId}`, 'addr:192.0.2.7'])).toHaveLength(2);
  expect(await purgeAt(START + WINDOW + 1)).toEqual({ failureCounters: 2, refreshTokens: 0, refreshFamilies: 0 });
  expect(await store.getFailures([`user:${user.userId}`, 'addr:192.0.2.7'])).toEqual([]);
});

it('keeps a refresh token family for the grace after its newest token expired, in seconds, and drops it after', async () => {
  const { user, refresh } = await identityParts();
  const first = await refresh.issue(user, 'monogoto', { rotating: true, ttlSeconds: 600 });
  const presented = await refresh.check(first.token, 'monogoto');
  now += 300_000;
  const second = await refresh.rotate(presented, '192.0.2.7', { rotating: true, ttlSeconds: 600 });
  await refresh.revoke(second.token);
  const lastExpiry = (second.expiresAt + REFRESH_GRACE_SECONDS) * 1000;
  expect((await purgeAt(lastExpiry)).refreshTokens).toBe(0);
  expect(await refresh.revoke(first.token)).toBe(true);
  expect(await purgeAt(lastExpiry + 1000)).toEqual({ failureCounters: 0, refreshTokens: 2, refreshFamilies: 1 });
  expect(await refresh.revoke(first.token)).toBe(false);
});

it('purges in batches until nothing is left, and stops between batches when aborted', async () => {
  const keys = Array.from({ length: 2 * PURGE_BATCH + 5 }, (_, i) => `addr:198.51.100.${i}`);
  await store.recordFailures(keys, START, START - WINDOW, () => 0);
  const stop = new AbortController();
  stop.abort();
  expect((await purgeAt(START + 2 * WINDOW, stop.signal)).failureCounters).toBe(PURGE_BATCH);
  expect((await purgeAt(START + 2 * WINDOW)).failureCounters).toBe(PURGE_BATCH + 5);
  expect(await store.getFailures(keys)).toEqual([]);
});

describe('in the core', () => {
  const logged = () => {
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    });
    return { lines, log: pino({ level: 'debug' }, sink) };
  };
  const core = (s: Store, log: pino.Logger) => createCore({ store: s, clock, log, tokenIssuer: 'test', tokenTtlSeconds: 60, passwordCost: cost, secretBox: testSecretBox() });

  it('purges at start', async () => {
    await store.recordFailures(['addr:stale'], START - 2 * WINDOW, START - 3 * WINDOW, () => 0);
    const { lines, log } = logged();
    const c = await core(store, log);
    await c.close();
    expect(await store.getFailures(['addr:stale'])).toEqual([]);
    expect(lines.find((l) => l.msg.startsWith('purged stale'))).toMatchObject({ purged: { failureCounters: 1 } });
  });

  it('logs a failed purge at warn; the core still starts and closes', async () => {
    const failing = new Proxy(store, {
      get: (target, property, receiver) =>
        property === 'purgeIdentityRows' ? () => Promise.reject(new Error('disk on fire')) : (Reflect.get(target, property, receiver) as unknown),
    });
    const { lines, log } = logged();
    const c = await core(failing, log);
    await c.close();
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['purging stale lockout counters and refresh tokens failed']);
  });
});

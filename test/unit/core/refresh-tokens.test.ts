/** Refresh tokens over a real embedded store: reusable vs rotating, reuse incidents, revoked families. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createDirectory } from '../../../src/core/directory';
import { createAudit } from '../../../src/core/identity/audit';
import { createLockout } from '../../../src/core/identity/lockout';
import { createPasswords } from '../../../src/core/identity/passwords';
import { createRefreshTokens, hashToken, RefreshTokens } from '../../../src/core/identity/refresh-tokens';
import { createUsers } from '../../../src/core/identity/users';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { Store, UserRecord } from '../../../src/store/store';

let dir: string;
let store: Store;
let refresh: RefreshTokens;
let user: UserRecord;
let now = 1_800_000_000_000;
const clock = () => now;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mgw-refresh-'));
  store = openSqliteStore(join(dir, 'db.sqlite'), { pollMs: 0 });
  await store.addTenants([{ tenantId: 'acme', gatewayIds: [] }]);
  const audit = createAudit(store, clock, pino({ level: 'silent' }));
  const users = createUsers({ store, clock, passwords: await createPasswords({ memoryKib: 64, timeCost: 1, parallelism: 1 }), lockout: createLockout(store, clock), audit, directory: await createDirectory(store, clock) });
  user = await users.add({ username: 'erin', tenantId: 'acme', password: 'erin password' });
  refresh = createRefreshTokens(store, clock, users, audit);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);
/** A refresh of a reusable token as the use case does it: checked, then accepted (audited). */
const useReusable = async (token: string, dialect: string, address: string) => {
  const presented = await refresh.check(token, dialect);
  await refresh.accept(presented, address);
  return presented;
};
/** A refresh of a rotating token as the use case does it: checked, then rotated (spent, the next one added, audited). */
const rotateOnce = async (token: string, dialect: string, address: string) => refresh.rotate(await refresh.check(token, dialect), address, { rotating: true, ttlSeconds: 600 });

it('a reusable token works again and again until it expires', async () => {
  const { token } = await refresh.issue(user, 'datarhei', { rotating: false, ttlSeconds: 60 });
  const before = (await store.listAudit(100)).filter((e) => e.event === 'refresh').length;
  for (let i = 0; i < 5; i++) expect((await useReusable(token, 'datarhei', '127.0.0.1')).user.userId).toBe(user.userId);
  expect((await store.listAudit(100)).filter((e) => e.event === 'refresh' && e.dialect === 'datarhei')).toHaveLength(before + 5);
  expect(await code(refresh.check(token, 'cognito'))).toBe('ERR_TOKEN_INVALID');
  now += 61_000;
  expect(await code(refresh.check(token, 'datarhei'))).toBe('ERR_TOKEN_INVALID');
});

it('accept refuses a rotating token: only rotate spends one, in the audit row\'s transaction', async () => {
  const { token } = await refresh.issue(user, 'monogoto', { rotating: true, ttlSeconds: 600 });
  const presented = await refresh.check(token, 'monogoto');
  await expect(refresh.accept(presented, '127.0.0.1')).rejects.toThrow(/rotate/);
  expect((await store.findRefreshToken(presented.record.tokenHash))!.usedAt).toBeNull();
  expect(await code(rotateOnce(token, 'monogoto', '127.0.0.1'))).toBe('ok');
});

it('a rotating token is single use; presenting it again revokes the whole family and records an incident', async () => {
  const first = await refresh.issue(user, 'monogoto', { rotating: true, ttlSeconds: 600 });
  const second = await rotateOnce(first.token, 'monogoto', '127.0.0.1');
  expect(second.familyId).toBe(first.familyId);
  expect(await code(rotateOnce(first.token, 'monogoto', '10.0.0.9'))).toBe('ERR_TOKEN_INVALID');
  expect(await code(refresh.check(second.token, 'monogoto'))).toBe('ERR_TOKEN_INVALID');
  const incident = (await store.listAudit(10)).find((e) => e.event === 'refresh_reuse');
  expect(incident).toMatchObject({ outcome: 'incident', username: 'erin', address: '10.0.0.9' });
});

it('a token added to a family after the family was revoked is born revoked (rotation racing a reuse incident)', async () => {
  const first = await refresh.issue(user, 'edr', { rotating: true, ttlSeconds: 600 });
  const { familyId } = await rotateOnce(first.token, 'edr', '127.0.0.1');
  await store.revokeRefreshFamily(familyId, Math.floor(now / 1000));
  const late = await refresh.issue(user, 'edr', { rotating: true, ttlSeconds: 600, familyId });
  expect((await store.findRefreshToken(hashToken(late.token)))!.revokedAt).not.toBeNull();
  expect(await code(rotateOnce(late.token, 'edr', '127.0.0.1'))).toBe('ERR_TOKEN_INVALID');
  expect(await store.spendRefreshToken(hashToken(late.token), 1)).toBe(false);
});

it('concurrent uses of one rotating token: exactly one succeeds', async () => {
  const { token } = await refresh.issue(user, 'monogoto', { rotating: true, ttlSeconds: 600 });
  const results = await Promise.all([1, 2, 3].map(() => code(rotateOnce(token, 'monogoto', '127.0.0.1'))));
  expect(results.filter((r) => r === 'ok')).toHaveLength(1);
});

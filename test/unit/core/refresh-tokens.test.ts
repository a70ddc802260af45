/** Refresh tokens over a real embedded store: reusable vs rotating, reuse incidents, revoked families. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createDirectory } from '../../../src/core/directory';
import { createAudit } from '../../../src/core/identity/audit';
import { createLockout } from '../../../src/core/identity/lockout';
import { createPasswords } from '../../../src/core/identity/passwords';
import { createRefreshTokens, RefreshTokens } from '../../../src/core/identity/refresh-tokens';
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

it('a reusable token works again and again until it expires', async () => {
  const { token } = await refresh.issue(user, 'datarhei', { rotating: false, ttlSeconds: 60 });
  for (let i = 0; i < 5; i++) expect((await refresh.use(token, 'datarhei', '127.0.0.1')).user.userId).toBe(user.userId);
  expect(await code(refresh.use(token, 'cognito', '127.0.0.1'))).toBe('ERR_TOKEN_INVALID');
  now += 61_000;
  expect(await code(refresh.use(token, 'datarhei', '127.0.0.1'))).toBe('ERR_TOKEN_INVALID');
});

it('a rotating token is single use; presenting it again revokes the whole family and records an incident', async () => {
  const first = await refresh.issue(user, 'monogoto', { rotating: true, ttlSeconds: 600 });
  const { record } = await refresh.use(first.token, 'monogoto', '127.0.0.1');
  const second = await refresh.issue(user, 'monogoto', { rotating: true, ttlSeconds: 600, familyId: record.familyId });
  expect(await code(refresh.use(first.token, 'monogoto', '10.0.0.9'))).toBe('ERR_TOKEN_INVALID');
  expect(await code(refresh.use(second.token, 'monogoto', '127.0.0.1'))).toBe('ERR_TOKEN_INVALID');
  const incident = (await store.listAudit(10)).find((e) => e.event === 'refresh_reuse');
  expect(incident).toMatchObject({ outcome: 'incident', username: 'erin', address: '10.0.0.9' });
});

it('a token added to a family after the family was revoked is born revoked (rotation racing a reuse incident)', async () => {
  const first = await refresh.issue(user, 'edr', { rotating: true, ttlSeconds: 600 });
  const { record } = await refresh.use(first.token, 'edr', '127.0.0.1');
  await store.revokeRefreshFamily(record.familyId, Math.floor(now / 1000));
  const late = await refresh.issue(user, 'edr', { rotating: true, ttlSeconds: 600, familyId: record.familyId });
  expect((await store.findRefreshToken((await import('../../../src/core/identity/refresh-tokens')).hashToken(late.token)))!.revokedAt).not.toBeNull();
  expect(await code(refresh.use(late.token, 'edr', '127.0.0.1'))).toBe('ERR_TOKEN_INVALID');
  expect(await store.spendRefreshToken((await import('../../../src/core/identity/refresh-tokens')).hashToken(late.token), 1)).toBe(false);
});

it('concurrent uses of one rotating token: exactly one succeeds', async () => {
  const { token } = await refresh.issue(user, 'monogoto', { rotating: true, ttlSeconds: 600 });
  const results = await Promise.all([1, 2, 3].map(() => code(refresh.use(token, 'monogoto', '127.0.0.1'))));
  expect(results.filter((r) => r === 'ok')).toHaveLength(1);
});

/**
 * Issue 10 §5 over a real embedded store: counters belong to user IDs, so a login of `VICTIM7`
 * clears nothing of `victim7`; attempts are counted before the password check (a parallel burst
 * of guesses is bounded) but only failures lock, so the owner's parallel correct logins pass.
 */
import pino from 'pino';
import { createDirectory } from '../../../../src/core/directory';
import { createAudit } from '../../../../src/core/identity/audit';
import { createLockout, lockoutPolicy } from '../../../../src/core/identity/lockout';
import { createPasswords } from '../../../../src/core/identity/passwords';
import { createUsers, Users } from '../../../../src/core/identity/users';
import { openSqliteStore } from '../../../../src/store/sqlite/sqlite-store';
import { Store } from '../../../../src/store/store';

const START = 1_800_000_000_000;
let now: number;
const clock = () => now;
let store: Store;
let users: Users;

beforeEach(async () => {
  now = START;
  store = openSqliteStore(':memory:', { pollMs: 0 });
  await store.addTenants([{ tenantId: 'acme', gatewayIds: [] }]);
  const passwords = await createPasswords({ memoryKib: 64, timeCost: 1, parallelism: 1 });
  const lockout = createLockout(store, clock, lockoutPolicy(10, 900));
  users = createUsers({ store, clock, passwords, lockout, audit: createAudit(store, clock, pino({ level: 'silent' })), directory: await createDirectory(store, clock) });
});
afterEach(() => store.close());

const attempt = (username: string, password: string, address = '192.0.2.1') =>
  users.verify({ username, password, address, dialect: 'test' }).then(
    ({ attempt }) => attempt.succeeded().then(() => 'ok'),
    (e: { code: string }) => e.code,
  );

it("a case variant's successful logins do not reset another account's counter: the guesses get locked out", async () => {
  await users.add({ username: 'victim7', tenantId: 'acme', password: 'victim password' });
  await users.add({ username: 'VICTIM7', tenantId: 'acme', password: 'attacker password' });
  const outcomes: string[] = [];
  for (let i = 0; i < 24; i++) {
    // Each guess from its own address, each followed by the attacker's own good login; delays (at most 32 s before the lockout) are waited out.
    outcomes.push(await attempt('victim7', `guess-${i}`, `198.51.100.${i}`));
    expect(await attempt('VICTIM7', 'attacker password', `203.0.113.${i}`)).toBe('ok');
    now += 35_000;
  }
  expect(outcomes.filter((o) => o === 'ERR_INVALID_CREDENTIALS')).toHaveLength(10);
  expect(outcomes.filter((o) => o === 'ERR_TOO_MANY_ATTEMPTS')).toHaveLength(14);
  // The owner is locked out too until the lockout ends (that is what a lockout is).
  expect(await attempt('victim7', 'victim password')).toBe('ERR_TOO_MANY_ATTEMPTS');
});

it('counts an unknown name under that exact name, apart from a user whose name differs only in case', async () => {
  await users.add({ username: 'Ada', tenantId: 'acme', password: 'ada password' });
  for (let i = 0; i < 10; i++) await attempt('ada', `guess-${i}`, `198.51.100.${i}`);
  expect(await attempt('ada', 'anything', '198.51.100.99')).toBe('ERR_TOO_MANY_ATTEMPTS');
  expect(await attempt('Ada', 'ada password', '198.51.100.99')).toBe('ok');
});

it('ten concurrent logins with the correct password all succeed', async () => {
  await users.add({ username: 'owner', tenantId: 'acme', password: 'owner password' });
  const outcomes = await Promise.all(Array.from({ length: 10 }, () => attempt('owner', 'owner password')));
  expect(outcomes).toEqual(Array(10).fill('ok'));
  // And again right after: nothing was left locked.
  expect(await Promise.all(Array.from({ length: 10 }, () => attempt('owner', 'owner password')))).toEqual(Array(10).fill('ok'));
});

it('a concurrent burst of guesses is still counted before the check: at most threshold are checked, then the lockout', async () => {
  await users.add({ username: 'target', tenantId: 'acme', password: 'target password' });
  const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => attempt('target', `guess-${i}`, `198.51.100.${i}`)));
  const checked = outcomes.filter((o) => o === 'ERR_INVALID_CREDENTIALS').length;
  expect(checked).toBe(10);
  expect(outcomes.filter((o) => o === 'ERR_TOO_MANY_ATTEMPTS').length).toBe(40 - checked);
  now += 2000;
  // The failures set the full lockout: even the right password waits for it.
  expect(await attempt('target', 'target password')).toBe('ERR_TOO_MANY_ATTEMPTS');
  now += 900_000;
  expect(await attempt('target', 'target password')).toBe('ok');
});

/** A store whose writes of cached topics wait until the sibling workers applied them. */
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { relayChanges } from '../../../src/store/relay-changes';
import { Store, StoreTopic } from '../../../src/store/store';

function setup() {
  const inner = openSqliteStore(':memory:', { pollMs: 0 });
  const announced: StoreTopic[][] = [];
  const confirms: (() => void)[] = [];
  const store = relayChanges(inner, {
    announce: (topics) => {
      announced.push(topics);
      return new Promise<void>((resolve) => confirms.push(resolve));
    },
  });
  return { inner, store, announced, confirm: (i = confirms.length - 1) => confirms[i]() };
}

/** Whether the promise settled within a few turns of the event loop. */
async function settles(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

let opened: Store[] = [];
afterEach(async () => {
  for (const s of opened) await s.close();
  opened = [];
});

it('answers a revocation only once the siblings confirmed it', async () => {
  const s = setup();
  opened.push(s.inner);
  const revoking = s.store.revokeToken({ jti: 'j-1', expiresAt: 2_000_000_000 });
  expect(await settles(revoking)).toBe(false);
  expect(s.announced).toEqual([['tokens']]);
  s.confirm();
  await revoking;
});

it('tells concurrent writes in one message, and both wait for it', async () => {
  const s = setup();
  opened.push(s.inner);
  const both = Promise.all([s.store.revokeToken({ jti: 'j-2', expiresAt: 2_000_000_000 }), s.store.addTenants([{ tenantId: 'acme', gatewayIds: [] }])]);
  expect(await settles(both)).toBe(false);
  expect(s.announced.map((t) => [...t].sort())).toEqual([['tenants', 'tokens']]);
  s.confirm();
  await both;
});

it('does not wait on reads, nor on writes of what no worker caches (certificates, presence)', async () => {
  const s = setup();
  opened.push(s.inner);
  expect(await settles(s.store.isTokenRevoked('j-3'))).toBe(true);
  expect(await settles(s.store.putPresence({ gatewayId: 'g', tenantId: 'administrator', instanceId: 'i', deviceIds: [], since: 1 }))).toBe(true);
  expect(s.announced).toEqual([]);
});

it('answers a revocation of refresh tokens (users: workers remember them) only once the siblings confirmed it', async () => {
  const s = setup();
  opened.push(s.inner);
  const revoking = s.store.revokeUserRefreshTokens('u-1', 1);
  expect(await settles(revoking)).toBe(false);
  expect(s.announced).toEqual([['users']]);
  s.confirm();
  await revoking;
});

it('never answers a write before its own change was confirmed, even when a later one is confirmed first', async () => {
  // A backend announces a commit before the write's promise settles (PostgreSQL: a few turns later);
  // here the blacklisting's answer is held back until a later revocation has been announced.
  const inner = openSqliteStore(':memory:', { pollMs: 0 });
  opened.push(inner);
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  const slow = new Proxy(inner, {
    get: (target, property, receiver) =>
      property === 'addBlacklist' ? (...args: Parameters<Store['addBlacklist']>) => target.addBlacklist(...args).then(() => held) : Reflect.get(target, property, receiver),
  });
  const announced: StoreTopic[][] = [];
  const confirms: (() => void)[] = [];
  const store = relayChanges(slow, { announce: (topics) => (announced.push(topics), new Promise<void>((r) => confirms.push(r))) });

  const blacklisting = store.addBlacklist([{ serial: 7n, tenantId: 'administrator', gatewayId: null, addedAt: 1 }]);
  await new Promise((r) => setImmediate(r));
  const revoking = store.revokeToken({ jti: 'j-4', expiresAt: 2_000_000_000 });
  await new Promise((r) => setImmediate(r));
  expect(announced).toEqual([['blacklist'], ['tokens']]);
  confirms[1]();
  release();
  expect(await settles(blacklisting)).toBe(false);
  confirms[0]();
  await Promise.all([blacklisting, revoking]);
});

it('does not hold later writes back after an announcement failed', async () => {
  const inner = openSqliteStore(':memory:', { pollMs: 0 });
  opened.push(inner);
  let calls = 0;
  const store = relayChanges(inner, { announce: () => (++calls === 1 ? Promise.reject(new Error('no primary')) : Promise.resolve()) });
  await expect(store.revokeToken({ jti: 'j-5', expiresAt: 2_000_000_000 })).rejects.toThrow('no primary');
  await store.revokeToken({ jti: 'j-6', expiresAt: 2_000_000_000 });
});

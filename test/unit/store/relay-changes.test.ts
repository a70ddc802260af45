/** A store whose writes of cached topics wait until the sibling workers applied them. */
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { relayChanges } from '../../../src/store/relay-changes';
import { Store, StoreTopic } from '../../../src/store/store';

function setup() {
  const inner = openSqliteStore(':memory:', { pollMs: 0 });
  const announced: StoreTopic[][] = [];
  let confirm: () => void = () => undefined;
  const store = relayChanges(inner, {
    announce: (topics) => {
      announced.push(topics);
      return new Promise<void>((resolve) => (confirm = resolve));
    },
  });
  return { inner, store, announced, confirm: () => confirm() };
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

it('does not wait on reads, nor on writes of what no worker caches (users, certificates, presence)', async () => {
  const s = setup();
  opened.push(s.inner);
  expect(await settles(s.store.isTokenRevoked('j-3'))).toBe(true);
  expect(await settles(s.store.putPresence({ gatewayId: 'g', tenantId: 'administrator', instanceId: 'i', deviceIds: [], since: 1 }))).toBe(true);
  expect(await settles(s.store.revokeUserRefreshTokens('u-1', 1))).toBe(true);
  expect(s.announced).toEqual([]);
});

/** The directory holds no tenant set and no revocation list: a bounded cache and epochs over the store. */
import { createDirectory, Directory, REVOCATION_PURGE_MARGIN_S } from '../../../src/core/directory';
import { countingStore, CountingStore } from '../../support/counting-store';

const clock = () => 1_800_000_000_000;
let s: CountingStore;

beforeEach(async () => {
  s = countingStore();
  await s.store.addTenants(Array.from({ length: 10 }, (_, i) => ({ tenantId: `t${i}`, gatewayIds: [`g${i}`] })));
});
afterEach(() => s.store.close());

const open = (tenantCacheSize?: number): Promise<Directory> => createDirectory(s.store, clock, { tenantCacheSize });

it('reads no tenant list and no revocation list, at start or on a change', async () => {
  const directory = await open();
  await directory.refresh('tenants');
  await directory.refresh('tokens');
  expect(s.count('listTenants')).toBe(0);
  expect(s.count('listRevokedTokens')).toBe(0);
  expect(s.count('purgeRevokedTokens')).toBe(1);
  expect(directory.gatewayOwner('g3')).toBe('t3');
});

it('answers a tenant from memory after the first lookup, registered or not, until the tenants change', async () => {
  const directory = await open();
  await expect(directory.hasTenant('t1')).resolves.toBe(true);
  expect(directory.hasTenant('t1')).toBe(true);
  expect(directory.hasTenant('t1')).toBe(true);
  expect(s.count('tenantGeneration')).toBe(1);
  await expect(directory.hasTenant('nobody')).resolves.toBe(false);
  expect(directory.hasTenant('nobody')).toBe(false);
  expect(s.count('tenantGeneration')).toBe(2);
  // Registered since: a tenants change (here or heard from another instance) forgets the old answer.
  await s.store.addTenants([{ tenantId: 'nobody', gatewayIds: [] }]);
  await directory.refresh('tenants');
  await expect(directory.hasTenant('nobody')).resolves.toBe(true);
  expect(s.count('tenantGeneration')).toBe(3);
});

it('keeps at most tenantCacheSize tenants, dropping the least recently used', async () => {
  const directory = await open(3);
  for (const id of ['t0', 't1', 't2']) await directory.hasTenant(id);
  expect(directory.hasTenant('t0')).toBe(true);
  await directory.hasTenant('t3');
  // t1 was the least recently used: it went; t0 (used again) stayed.
  expect(directory.hasTenant('t0')).toBe(true);
  expect(directory.hasTenant('t2')).toBe(true);
  expect(directory.hasTenant('t3')).toBe(true);
  const before = s.count('tenantGeneration');
  await expect(directory.hasTenant('t1')).resolves.toBe(true);
  expect(s.count('tenantGeneration')).toBe(before + 1);
  for (let i = 0; i < 10; i++) await directory.hasTenant(`t${i}`);
  let cached = 0;
  for (let i = 0; i < 10; i++) if (directory.hasTenant(`t${i}`) === true) cached++;
  expect(cached).toBeLessThanOrEqual(3);
});

it('a tenants refresh empties the cache and moves the epoch before it returns', async () => {
  const directory = await open();
  await directory.hasTenant('t1');
  const epoch = directory.tenantsEpoch();
  await s.store.deleteTenants(['t1']);
  const refreshed = directory.refresh('tenants');
  expect(directory.tenantsEpoch()).toBeGreaterThan(epoch);
  await expect(directory.hasTenant('t1')).resolves.toBe(false);
  await refreshed;
  expect(directory.gatewayOwner('g1')).toBeUndefined();
});

it('an answer read before a tenants change is not remembered', async () => {
  const directory = await open();
  let release = () => undefined as void;
  s.gate = new Promise<void>((resolve) => (release = resolve));
  const pending = directory.hasTenant('t2');
  const refreshed = directory.refresh('tenants');
  s.gate = undefined;
  release();
  await refreshed;
  await expect(pending).resolves.toBe(true);
  await s.store.deleteTenants(['t2']);
  await expect(directory.hasTenant('t2')).resolves.toBe(false);
});

it('revocations are looked up in the store; noteRevoked and a tokens refresh move the revocation epoch', async () => {
  const directory = await open();
  await expect(directory.isRevoked('j1')).resolves.toBe(false);
  await s.store.revokeToken({ jti: 'j1', expiresAt: 2_000_000_000 });
  await expect(directory.isRevoked('j1')).resolves.toBe(true);
  const epoch = directory.revocationEpoch();
  directory.noteRevoked();
  expect(directory.revocationEpoch()).toBeGreaterThan(epoch);
  await directory.refresh('tokens');
  expect(directory.revocationEpoch()).toBeGreaterThan(epoch + 1);
});

it('drops revocations that ran out at start', async () => {
  await s.store.revokeToken({ jti: 'old', expiresAt: 1000 });
  await s.store.revokeToken({ jti: 'live', expiresAt: 2_000_000_000 });
  const directory = await open();
  await expect(directory.isRevoked('old')).resolves.toBe(false);
  await expect(directory.isRevoked('live')).resolves.toBe(true);
});

it('a store that cannot answer a lookup rejects with StoreUnavailable', async () => {
  const directory = await open();
  s.down = true;
  await expect(directory.hasTenant('t1')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  await expect(directory.isRevoked('j1')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
});

it('keeps, at start, the revocations of tokens expired less than the margin ago (clocks of instances differ)', async () => {
  const now = clock() / 1000;
  await s.store.revokeToken({ jti: 'expired-long-ago', expiresAt: now - REVOCATION_PURGE_MARGIN_S - 1 });
  await s.store.revokeToken({ jti: 'expired-just-now', expiresAt: now - 60 });
  const directory = await open();
  await expect(directory.isRevoked('expired-just-now')).resolves.toBe(true);
  await expect(directory.isRevoked('expired-long-ago')).resolves.toBe(false);
});

it('hands out the same frozen gateway list until the registrations change, then a new one', async () => {
  const directory = await open();
  const before = directory.gatewayIds('t1');
  expect(before).toEqual(['g1']);
  expect(Object.isFrozen(before)).toBe(true);
  expect(directory.gatewayIds('t1')).toBe(before);
  expect(Object.isFrozen(directory.gatewayIds())).toBe(true);
  expect(Object.isFrozen(directory.gatewayIds('nobody'))).toBe(true);
  await s.store.addGateways('t1', ['g1b']);
  await directory.refresh('tenants');
  expect(directory.gatewayIds('t1')).toEqual(['g1', 'g1b']);
  expect(directory.gatewayIds('t1')).not.toBe(before);
  expect(before).toEqual(['g1']); // what a caller kept is not changed under it
});

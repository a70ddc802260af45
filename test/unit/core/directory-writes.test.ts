/** The directory applies this process's registration writes in memory instead of rereading every registration. */
import { createDirectory, Directory, RELOAD_GAP_MS } from '../../../src/core/directory';
import { createGatewayRegistry } from '../../../src/core/gateway-registry';
import { countingStore, CountingStore } from '../../support/counting-store';

const clock = () => 1_800_000_000_000;
let s: CountingStore;
let directory: Directory;

beforeEach(async () => {
  s = countingStore();
  await s.store.addTenants([
    { tenantId: 't1', gatewayIds: ['g1', 'g3'] },
    { tenantId: 't2', gatewayIds: ['g2'] },
  ]);
  directory = await createDirectory(s.store, clock);
  // As create-core does: the store's notices of this process's writes reach refresh with external false.
  s.store.onChange((topic, external) => void directory.refresh(topic, external));
});
afterEach(() => s.store.close());

const add = (tenantId: string, ids: string[]) =>
  directory.write(() => s.store.addGateways(tenantId, ids), { added: ids.map((gatewayId) => ({ gatewayId, tenantId })) });

it('an add rereads no registration, changes only its tenant\'s list, and is in force when it returns', async () => {
  const before = s.count('listGateways');
  const t2List = directory.gatewayIds('t2');
  const all = directory.gatewayIds();
  await add('t1', ['g2b', 'g0']);
  expect(s.count('listGateways')).toBe(before);
  expect(directory.gatewayIds('t1')).toEqual(['g0', 'g1', 'g2b', 'g3']);
  expect(Object.isFrozen(directory.gatewayIds('t1'))).toBe(true);
  expect(directory.gatewayOwner('g2b')).toBe('t1');
  // Another tenant's list is the very same array (its encoded GetList answer stays valid).
  expect(directory.gatewayIds('t2')).toBe(t2List);
  expect(directory.gatewayIds()).toEqual(['g0', 'g1', 'g2', 'g2b', 'g3']);
  expect(directory.gatewayIds()).toBe(directory.gatewayIds());
  expect(directory.gatewayIds()).not.toBe(all);
  expect(all).toEqual(['g1', 'g2', 'g3']);
});

it('a gateway add does not make tenant answers stale; a tenant write does', async () => {
  await directory.hasTenant('t1');
  const epoch = directory.tenantsEpoch();
  await add('t1', ['g4']);
  expect(directory.tenantsEpoch()).toBe(epoch);
  await directory.write(() => s.store.deleteTenants(['t2']), { tenantsChanged: true, removedTenants: ['t2'] });
  expect(directory.tenantsEpoch()).toBeGreaterThan(epoch);
  expect(directory.gatewayOwner('g2')).toBeUndefined();
  expect(directory.gatewayIds('t2')).toEqual([]);
  expect(directory.gatewayIds()).toEqual(['g1', 'g3', 'g4']);
});

it('a delete removes only what it names', async () => {
  const removed = [{ gatewayId: 'g1', tenantId: 't1' }];
  await directory.write(() => s.store.deleteGateways(removed), { removed });
  expect(directory.gatewayIds('t1')).toEqual(['g3']);
  expect(directory.gatewayOwner('g1')).toBeUndefined();
  expect(directory.gatewayOwner('g3')).toBe('t1');
});

it('a refused write changes nothing and rereads nothing', async () => {
  const before = s.count('listGateways');
  const list = directory.gatewayIds('t1');
  await expect(add('t1', ['g9', 'g2'])).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
  expect(directory.gatewayIds('t1')).toBe(list);
  expect(directory.gatewayOwner('g9')).toBeUndefined();
  expect(s.count('listGateways')).toBe(before);
});

it('a reload that read the store before a write committed does not undo the write', async () => {
  let release = () => undefined as void;
  s.gate = new Promise<void>((resolve) => (release = resolve));
  // Another process changed something: the reload reads now, answers later.
  const reloading = directory.refresh('tenants', true);
  s.gate = undefined;
  await add('t2', ['g5']);
  release();
  await reloading;
  await new Promise((resolve) => setImmediate(resolve));
  expect(directory.gatewayOwner('g5')).toBe('t2');
  expect(directory.gatewayIds('t2')).toEqual(['g2', 'g5']);
});

it('notices from elsewhere arriving during a reload share one reload after it', async () => {
  let release = () => undefined as void;
  s.gate = new Promise<void>((resolve) => (release = resolve));
  const first = directory.refresh('tenants', true);
  const before = s.count('listGateways');
  const rest = Array.from({ length: 50 }, () => directory.refresh('tenants', true));
  s.gate = undefined;
  await s.store.addGateways('t2', ['g7']);
  release();
  await Promise.all([first, ...rest]);
  expect(s.count('listGateways')).toBe(before + 1);
  expect(directory.gatewayOwner('g7')).toBe('t2');
});

it('rereads for changes made elsewhere at most once every RELOAD_GAP_MS', async () => {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
  try {
    const first = directory.refresh('tenants', true);
    const second = directory.refresh('tenants', true);
    await first;
    const before = s.count('listGateways');
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(s.count('listGateways')).toBe(before);
    jest.advanceTimersByTime(RELOAD_GAP_MS);
    await second;
    expect(s.count('listGateways')).toBe(before + 1);
  } finally {
    jest.useRealTimers();
  }
});

describe('gateway registry', () => {
  it('keeps every list sorted and frozen through adds, removes and moves', () => {
    const r = createGatewayRegistry();
    r.replace([
      { gatewayId: 'b', tenantId: 'x' },
      { gatewayId: 'a', tenantId: 'x' },
    ]);
    expect(r.ids('x')).toEqual(['a', 'b']);
    r.add([
      { gatewayId: 'c', tenantId: 'x' },
      { gatewayId: 'aa', tenantId: 'x' },
      { gatewayId: 'b', tenantId: 'y' },
    ]);
    expect(r.ids('x')).toEqual(['a', 'aa', 'c']);
    expect(r.ids('y')).toEqual(['b']);
    expect(r.ids()).toEqual(['a', 'aa', 'b', 'c']);
    r.remove([{ gatewayId: 'a', tenantId: 'y' }]); // not y's: nothing happens
    expect(r.owner('a')).toBe('x');
    r.removeTenants(['x']);
    expect(r.ids('x')).toEqual([]);
    expect(r.ids()).toEqual(['b']);
    expect(Object.isFrozen(r.ids('y'))).toBe(true);
    expect(Object.isFrozen(r.ids())).toBe(true);
  });
});

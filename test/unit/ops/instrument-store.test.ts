import { StoreUnavailable } from '../../../src/errors';
import { instrumentStore, STORE_AREAS, StoreCallMetrics } from '../../../src/ops/instrument-store';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store';

function recording() {
  const made: { area: string; operation: string }[] = [];
  const done: string[] = [];
  const failed: string[] = [];
  const metrics: StoreCallMetrics = {
    method(area, operation) {
      made.push({ area, operation });
      return { done: () => done.push(area), failed: (code) => failed.push(`${area} ${code}`) };
    },
  };
  return { metrics, made, done, failed };
}

it('gives every method of a real store its area (a new store method must be added to STORE_AREAS)', async () => {
  const store = openSqliteStore(':memory:', { pollMs: 0 });
  try {
    const { metrics, made } = recording();
    instrumentStore(store, metrics);
    expect(made.filter((m) => m.area === 'other')).toEqual([]);
    const methods = Object.keys(STORE_AREAS);
    expect(made).toHaveLength(methods.length);
  } finally {
    await store.close();
  }
});

it('answers as the store does, timing each call once and counting a failure by its code', async () => {
  const store = openSqliteStore(':memory:', { pollMs: 0 });
  try {
    const { metrics, made, done, failed } = recording();
    const wrapped = instrumentStore(store, metrics);
    expect(wrapped.kind).toBe('sqlite');
    expect(made.find((m) => m.area === 'tenants' && m.operation === 'read')).toBeDefined();
    await wrapped.addTenants([{ tenantId: 'acme', gatewayIds: [] }]);
    expect(await wrapped.hasTenant('acme')).toBe(true);
    await new Promise(setImmediate);
    expect(done).toEqual(['tenants', 'tenants']);

    const err = new StoreUnavailable('the database is unavailable (test)');
    store.listTenants = () => Promise.reject(err);
    const again = instrumentStore(store, metrics);
    await expect(again.listTenants()).rejects.toBe(err);
    expect(failed).toEqual(['tenants ERR_STORE_UNAVAILABLE']);
  } finally {
    await store.close();
  }
});

/**
 * queryAudit and recordAudits, part of the store contract: newest first by time, each filter, paging
 * by the id of the last event seen. Run by describeStoreContract; `current()` is the fresh store of the running test.
 */
import { AuditEvent, Store } from '../../src/store/store';

const T = 1_750_000_000_000;

const grpcLogin = (at: number, outcome: AuditEvent['outcome'], tenantId: string, actor: string, detail: string | null): AuditEvent => ({
  at,
  event: 'login',
  outcome,
  dialect: 'grpc',
  username: null,
  tenantId,
  address: null,
  detail,
  actor,
});

const events: AuditEvent[] = [
  grpcLogin(T, 'success', 'acme', 'cert:101 CN=acme', null),
  grpcLogin(T + 1, 'failure', 'acme', 'cert:101 CN=acme', 'ERR_CERT_MISMATCH'),
  { at: T + 2, event: 'tenant_add', outcome: 'success', dialect: 'cli', username: null, tenantId: 'initech', address: null, detail: 'initech', actor: 'os:alice' },
  { at: T + 3, event: 'login', outcome: 'locked', dialect: 'cognito', username: 'ada', tenantId: 'acme', address: '192.0.2.7', detail: 'ERR_ACCOUNT_LOCKED' },
  grpcLogin(T + 4, 'success', 'initech', 'cert:202 CN=initech', null),
];

export function describeAuditQueryContract(current: () => Store): void {
  let store: Store;
  beforeEach(async () => {
    store = current();
    await store.recordAudits(events.slice(0, 3));
    await store.recordAudit(events[3]);
    await store.recordAudits(events.slice(4));
  });

  const query = async (q: Partial<Parameters<Store['queryAudit']>[0]>) => (await store.queryAudit({ limit: 100, ...q })).map((e) => e.at - T);

  it('reads every field back, newest first, with an id that orders them', async () => {
    const all = await store.queryAudit({ limit: 100 });
    expect(all.map(({ id: _id, ...e }) => e)).toEqual([...events].reverse());
    const ids = all.map((e) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('filters by time, tenant, kind, outcome and actor (a part of it, or the user name)', async () => {
    expect(await query({ since: T + 2 })).toEqual([4, 3, 2]);
    expect(await query({ tenantId: 'acme' })).toEqual([3, 1, 0]);
    expect(await query({ kind: 'tenant_add' })).toEqual([2]);
    expect(await query({ outcome: 'ok' })).toEqual([4, 2, 0]);
    expect(await query({ outcome: 'refused' })).toEqual([3, 1]);
    expect(await query({ actor: '101' })).toEqual([1, 0]);
    expect(await query({ actor: 'os:alice' })).toEqual([2]);
    expect(await query({ actor: 'ada' })).toEqual([3]);
    expect(await query({ tenantId: 'acme', outcome: 'ok', kind: 'login' })).toEqual([0]);
  });

  it('pages: each page continues before the last id of the previous one', async () => {
    const first = await store.queryAudit({ limit: 2 });
    expect(first.map((e) => e.at - T)).toEqual([4, 3]);
    const second = await store.queryAudit({ limit: 2, beforeId: first[1].id });
    expect(second.map((e) => e.at - T)).toEqual([2, 1]);
    const third = await store.queryAudit({ limit: 2, beforeId: second[1].id });
    expect(third.map((e) => e.at - T)).toEqual([0]);
    expect(await query({ beforeId: second[1].id, tenantId: 'acme' })).toEqual([0]);
  });

  it('lists by time, not by the order recorded (a batch of logins written after a later change), and pages through ties of one millisecond exactly once', async () => {
    // A batch of gRPC logins lands after an administrative change made while it waited: ids out of time order.
    await store.recordAudit({ ...events[2], at: T + 20, detail: 'change' });
    await store.recordAudits([grpcLogin(T + 10, 'success', 'late', 'cert:1', 'a'), grpcLogin(T + 15, 'success', 'late', 'cert:1', 'b'), grpcLogin(T + 15, 'success', 'late', 'cert:1', 'c')]);
    expect(await query({ since: T + 10 })).toEqual([20, 15, 15, 10]);
    const seen: (string | null)[] = [];
    let beforeId: number | undefined;
    for (;;) {
      const page = await store.queryAudit({ limit: 1, since: T + 3, ...(beforeId !== undefined ? { beforeId } : {}) });
      if (page.length === 0) break;
      seen.push(page[0].detail);
      beforeId = page[0].id;
    }
    expect(seen).toEqual(['change', 'c', 'b', 'a', null, 'ERR_ACCOUNT_LOCKED']);
  });

  it('records an empty batch as nothing', async () => {
    await store.recordAudits([]);
    expect(await store.queryAudit({ limit: 100 })).toHaveLength(events.length);
  });

  it('records a batch larger than one statement takes, in order', async () => {
    const many = Array.from({ length: 2500 }, (_v, i) => grpcLogin(T + 10 + i, 'success', 'bulk', 'cert:303 CN=bulk', null));
    await store.recordAudits(many);
    const page = await store.queryAudit({ tenantId: 'bulk', limit: 3000 });
    expect(page).toHaveLength(2500);
    expect(page[0].at).toBe(T + 10 + 2499);
    expect(page[2499].at).toBe(T + 10);
  });
}

/**
 * purgeAudit, part of the store contract: audit events recorded before the cutoff go, oldest first,
 * in batches; later ones stay. Run by describeStoreContract; `current()` is the fresh store of the running test.
 */
import { AuditEvent, Store } from '../../src/store/store';

const DAY = 86_400_000;
const T = 1_750_000_000_000;

const event = (at: number, detail: string): AuditEvent => ({ at, event: 'login', outcome: 'failure', dialect: 'edr', username: 'junk', tenantId: null, address: '192.0.2.1', detail });

export function describeAuditPurgeContract(current: () => Store): void {
  let store: Store;
  beforeEach(() => {
    store = current();
  });

  it('drops the events recorded before the cutoff, in batches of at most `limit`, and keeps the rest', async () => {
    for (let i = 0; i < 5; i++) await store.recordAudit(event(T - 100 * DAY + i, `old ${i}`));
    await store.recordAudit(event(T - DAY, 'recent'));
    await store.recordAudit(event(T, 'now'));
    expect(await store.purgeAudit(T - 90 * DAY, 3)).toBe(3);
    expect((await store.listAudit(100)).map((e) => e.detail)).toEqual(['now', 'recent', 'old 4', 'old 3']);
    expect(await store.purgeAudit(T - 90 * DAY, 3)).toBe(2);
    expect(await store.purgeAudit(T - 90 * DAY, 3)).toBe(0);
    const left = await store.listAudit(100);
    expect(left.map((e) => e.detail)).toEqual(['now', 'recent']);
    expect(Number(left[1].at)).toBe(T - DAY);
  });

  it('keeps an event exactly at the cutoff, and purges nothing from an empty table', async () => {
    expect(await store.purgeAudit(T, 10)).toBe(0);
    await store.recordAudit(event(T, 'at the cutoff'));
    expect(await store.purgeAudit(T, 10)).toBe(0);
    expect(await store.listAudit(10)).toHaveLength(1);
  });
}

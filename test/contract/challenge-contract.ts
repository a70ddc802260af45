/**
 * spendChallenge, part of the store contract: a challenge session is spent once, by one of any
 * number of concurrent callers, and a spent session is forgotten only once it ran out before the
 * cutoff given. Run by describeStoreContract; `current()` is the fresh store of the running test.
 */
import { Store } from '../../src/store/store';

/** Unix ms. */
const T = 1_750_000_000_123;

export function describeChallengeContract(current: () => Store): void {
  let store: Store;
  beforeEach(() => {
    store = current();
  });

  it('spends a session once: the first call gets true, every later one false', async () => {
    expect(await store.spendChallenge('s-1', T + 180_000, 0)).toBe(true);
    expect(await store.spendChallenge('s-1', T + 180_000, 0)).toBe(false);
    expect(await store.spendChallenge('s-2', T + 180_000, 0)).toBe(true);
  });

  it('lets exactly one of many concurrent spends of one session through', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => store.spendChallenge('s-race', T + 180_000, 0)));
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('forgets spent sessions that ran out before the cutoff, and only those', async () => {
    await store.spendChallenge('ran-out', T - 1, 0);
    await store.spendChallenge('edge', T, 0); // runs out exactly at the cutoff: kept
    await store.spendChallenge('live', T + 180_000, 0);
    // Any spend drops what ran out before its cutoff.
    expect(await store.spendChallenge('other', T + 180_000, T)).toBe(true);
    expect(await store.spendChallenge('ran-out', T - 1, T)).toBe(true);
    expect(await store.spendChallenge('edge', T, T)).toBe(false);
    expect(await store.spendChallenge('live', T + 180_000, T)).toBe(false);
  });
}

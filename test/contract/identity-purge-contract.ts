/**
 * purgeIdentityRows, part of the store contract: it drops exactly the lockout counters and refresh
 * token rows nothing will read again, and keeps everything a login, a refresh or a revocation still
 * needs. Run by describeStoreContract; `current()` is the fresh store of the running test.
 */
import { FailureCounter, IdentityPurge, RefreshTokenRecord, Store } from '../../src/store/store';
import { tokenRecord, userRecord } from './identity-contract';

/** Unix ms and the failure-counting window. */
const T = 1_750_000_000_000;
const WINDOW = 15 * 60_000;
/** Unix seconds: families whose every token expired before this go. */
const E = 1_750_000_000;

const cutoffs = (overrides: Partial<IdentityPurge> = {}): IdentityPurge => ({ at: T, failuresBefore: T - WINDOW, expiredBefore: 0, limit: 100, ...overrides });
const nothing = { failureCounters: 0, refreshTokens: 0, refreshFamilies: 0 };

export function describeIdentityPurgeContract(current: () => Store): void {
  let store: Store;

  beforeEach(async () => {
    store = current();
    await store.addTenants([{ tenantId: 'acme', gatewayIds: [] }]);
    await store.addUser(userRecord({ userId: 'u-ada', username: 'ada' }));
  });

  /** One failure at `at`, locking the key for `lockMs`. */
  const fail = async (key: string, at: number, lockMs = 0): Promise<FailureCounter> =>
    (await store.recordFailures([key], at, at - WINDOW, () => lockMs))[0];

  it('drops failure counters whose lock ended and whose last failure is older than the window, and no other', async () => {
    await fail('addr:stale', T - WINDOW - 1);
    await fail('user:lock-ended', T - WINDOW - 60_000, WINDOW + 60_000); // locked until exactly T: ended
    const kept = [
      await fail('user:in-window', T - 5 * 60_000),
      await fail('user:window-edge', T - WINDOW), // the window's first millisecond still counts
      await fail('addr:locked', T - WINDOW - 60_000, 2 * WINDOW), // a lockout longer than the window
    ];
    await store.forgiveFailures(['user:in-window']); // no failures left, yet inside the window: kept

    expect(await store.purgeIdentityRows(cutoffs())).toEqual({ ...nothing, failureCounters: 2 });
    const keys = ['addr:stale', 'user:lock-ended', ...kept.map((c) => c.key)];
    expect(await store.getFailures(keys)).toEqual([{ ...kept[0], failures: 0 }, ...kept.slice(1)]);
    expect(await store.purgeIdentityRows(cutoffs())).toEqual(nothing);
  });

  it('drops whole refresh token families once every token expired before the cutoff, spent and revoked ones too', async () => {
    const add = async (overrides: Partial<RefreshTokenRecord>) => {
      const token = tokenRecord({ issuedAt: E - 90_000, ...overrides });
      await store.addRefreshToken(token);
      return token;
    };
    const gone = [
      await add({ familyId: 'fam-dead', expiresAt: E - 100, usedAt: E - 200 }),
      await add({ familyId: 'fam-dead', expiresAt: E - 1 }),
      await add({ familyId: 'fam-dead-reusable', rotating: false, expiresAt: E - 50 }),
      await add({ familyId: 'fam-dead-revoked', expiresAt: E - 10 }),
    ];
    const kept = [
      // A spent token of a family still in use: presenting it again revokes the family.
      await add({ familyId: 'fam-live', expiresAt: E - 5000, usedAt: E - 5000 }),
      await add({ familyId: 'fam-live', expiresAt: E + 1000 }),
      await add({ familyId: 'fam-edge', expiresAt: E - 100, usedAt: E - 200 }),
      await add({ familyId: 'fam-edge', expiresAt: E }), // expires at the cutoff, not before it
      await add({ familyId: 'fam-revoked-live', expiresAt: E - 3000 }),
      await add({ familyId: 'fam-revoked-live', expiresAt: E + 10 }),
    ];
    await store.revokeRefreshFamily('fam-dead-revoked', E - 20);
    await store.revokeRefreshFamily('fam-revoked-live', E - 20);
    const keptNow = await Promise.all(kept.map((t) => store.findRefreshToken(t.tokenHash)));

    expect(await store.purgeIdentityRows(cutoffs({ expiredBefore: E }))).toEqual({ ...nothing, refreshTokens: 4, refreshFamilies: 1 });
    for (const t of gone) expect(await store.findRefreshToken(t.tokenHash)).toBeUndefined();
    expect(await Promise.all(kept.map((t) => store.findRefreshToken(t.tokenHash)))).toEqual(keptNow);
    expect(keptNow[1]?.revokedAt).toBeNull();
    expect(keptNow[5]?.revokedAt).toBe(E - 20);
    expect(await store.spendRefreshToken(kept[0].tokenHash, E)).toBe(false);
    expect(await store.spendRefreshToken(kept[1].tokenHash, E)).toBe(true);

    // The revocation of a family still in use is kept (a token added later is born revoked);
    // the dead family's is gone.
    const lateLive = await add({ familyId: 'fam-revoked-live', expiresAt: E + 600 });
    const lateDead = await add({ familyId: 'fam-dead-revoked', expiresAt: E + 600 });
    expect((await store.findRefreshToken(lateLive.tokenHash))?.revokedAt).toBe(E - 20);
    expect((await store.findRefreshToken(lateDead.tokenHash))?.revokedAt).toBeNull();
    expect(await store.purgeIdentityRows(cutoffs({ expiredBefore: E }))).toEqual(nothing);
  });

  it('drops the revocation of a family with no token left (its user was deleted)', async () => {
    await store.addUser(userRecord({ userId: 'u-bob', username: 'bob' }));
    await store.addRefreshToken(tokenRecord({ userId: 'u-bob', familyId: 'fam-bob', expiresAt: E + 86_400 }));
    await store.revokeUserRefreshTokens('u-bob', E - 5);
    await store.addRefreshToken(tokenRecord({ familyId: 'fam-ada', expiresAt: E + 86_400 }));
    await store.revokeRefreshFamily('fam-ada', E - 5);
    await store.deleteUser('u-bob');

    expect(await store.purgeIdentityRows(cutoffs({ expiredBefore: E }))).toEqual({ ...nothing, refreshFamilies: 1 });
    const lateAda = tokenRecord({ familyId: 'fam-ada', expiresAt: E + 86_400 });
    await store.addRefreshToken(lateAda);
    expect((await store.findRefreshToken(lateAda.tokenHash))?.revokedAt).toBe(E - 5);
  });

  it('drops at most `limit` rows of each table per call; the next calls take the rest', async () => {
    for (let i = 0; i < 3; i += 1) {
      await fail(`addr:old-${i}`, T - 2 * WINDOW);
      await store.addRefreshToken(tokenRecord({ familyId: `fam-old-${i}`, expiresAt: E - 10 }));
      await store.revokeRefreshFamily(`fam-old-${i}`, E - 20);
    }
    const run = () => store.purgeIdentityRows(cutoffs({ expiredBefore: E, limit: 2 }));
    expect(await run()).toEqual({ failureCounters: 2, refreshTokens: 2, refreshFamilies: 2 });
    expect(await run()).toEqual({ failureCounters: 1, refreshTokens: 1, refreshFamilies: 1 });
    expect(await run()).toEqual(nothing);
  });
}

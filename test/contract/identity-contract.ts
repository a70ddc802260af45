/**
 * The identity half of the store contract: users, roles, refresh tokens, failure counters and the
 * audit trail. Run by describeStoreContract; `current()` is the fresh store of the running test.
 */
import { AuditEvent, RefreshTokenRecord, Store, StoreTopic, UserRecord } from '../../src/store/store';
import { nextTopic } from './store-fixtures';

let counter = 0;

export function userRecord(overrides: Partial<UserRecord> = {}): UserRecord {
  counter += 1;
  return {
    userId: `u-${counter}`,
    username: `user-${counter}`,
    tenantId: 'acme',
    role: 'user',
    passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$hash-${counter}`,
    email: `user-${counter}@example.com`,
    firstName: 'Ada',
    lastName: 'Lovelace',
    disabled: false,
    mustChangePassword: true,
    // Unix ms, past 2^32 and with a millisecond part: a 32-bit column or a float would show.
    createdAt: 1_750_000_000_123 + counter,
    updatedAt: 1_750_000_000_123 + counter,
    ...overrides,
  };
}

export function tokenRecord(overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  counter += 1;
  return {
    tokenHash: counter.toString(16).padStart(64, 'a'),
    familyId: `fam-${counter}`,
    userId: 'u-ada',
    dialect: 'datarhei',
    rotating: true,
    issuedAt: 1_750_000_000,
    expiresAt: 1_750_086_400,
    usedAt: null,
    revokedAt: null,
    ...overrides,
  };
}

const auditEvent = (at: number, detail: string | null): AuditEvent => ({
  at,
  event: 'login',
  outcome: 'failure',
  dialect: 'cognito',
  username: detail === null ? null : 'ada',
  tenantId: detail === null ? null : 'acme',
  address: detail === null ? null : '192.0.2.7',
  detail,
});

export function describeIdentityContract(current: () => Store): void {
  let store: Store;
  const ada = () => userRecord({ userId: 'u-ada', username: 'ada' });

  beforeEach(async () => {
    store = current();
    await store.addTenants([
      { tenantId: 'acme', gatewayIds: [] },
      { tenantId: 'globex', gatewayIds: [] },
    ]);
  });

  describe('users', () => {
    it('adds a user and reads it back unchanged, by ID and by username', async () => {
      const user = ada();
      await store.addUser(user);
      expect(await store.findUser('u-ada')).toEqual(user);
      expect(await store.findUserByName('ada')).toEqual(user);
      expect(await store.findUser('u-none')).toBeUndefined();
      expect(await store.findUserByName('nobody')).toBeUndefined();
    });

    it('lists users by username, all or of one tenant', async () => {
      await store.addUser(userRecord({ username: 'carol', tenantId: 'globex' }));
      await store.addUser(userRecord({ username: 'alice' }));
      await store.addUser(userRecord({ username: 'bob' }));
      expect((await store.listUsers()).map((u) => u.username)).toEqual(['alice', 'bob', 'carol']);
      expect((await store.listUsers('acme')).map((u) => u.username)).toEqual(['alice', 'bob']);
      expect(await store.listUsers('administrator')).toEqual([]);
    });

    it('a username is unique across tenants, and so is a user ID (ERR_ALREADY_EXISTS)', async () => {
      await store.addUser(ada());
      await expect(store.addUser(userRecord({ username: 'ada', tenantId: 'globex' }))).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
      await expect(store.addUser(userRecord({ userId: 'u-ada' }))).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
      expect((await store.listUsers()).map((u) => u.userId)).toEqual(['u-ada']);
    });

    it('lets exactly one of two concurrent adds of the same username succeed', async () => {
      const results = await Promise.allSettled([store.addUser(userRecord({ username: 'twin' })), store.addUser(userRecord({ username: 'twin' }))]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason).toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
      expect(await store.listUsers()).toHaveLength(1);
    });

    it('refuses an unknown tenant (ERR_TENANT_NOT_FOUND) or role (ERR_ROLE_NOT_FOUND) and adds nothing', async () => {
      await expect(store.addUser(userRecord({ tenantId: 'missing' }))).rejects.toMatchObject({ code: 'ERR_TENANT_NOT_FOUND' });
      await expect(store.addUser(userRecord({ role: 'wizard' }))).rejects.toMatchObject({ code: 'ERR_ROLE_NOT_FOUND' });
      expect(await store.listUsers()).toEqual([]);
    });

    it('updates only the patched fields, and updatedAt', async () => {
      const user = ada();
      await store.addUser(user);
      await store.updateUser('u-ada', { email: 'ada@acme.example', disabled: true, mustChangePassword: false, role: 'admin' }, user.updatedAt + 5000);
      expect(await store.findUser('u-ada')).toEqual({
        ...user,
        email: 'ada@acme.example',
        disabled: true,
        mustChangePassword: false,
        role: 'admin',
        updatedAt: user.updatedAt + 5000,
      });
      await store.updateUser('u-ada', {}, user.updatedAt + 6000);
      expect((await store.findUser('u-ada'))?.updatedAt).toBe(user.updatedAt + 6000);
    });

    it('updateUser refuses an unknown user (ERR_USER_NOT_FOUND) or role (ERR_ROLE_NOT_FOUND) and changes nothing', async () => {
      const user = ada();
      await store.addUser(user);
      await expect(store.updateUser('u-none', { email: 'x@example.com' }, 1)).rejects.toMatchObject({ code: 'ERR_USER_NOT_FOUND' });
      await expect(store.updateUser('u-ada', { email: 'x@example.com', role: 'wizard' }, 1)).rejects.toMatchObject({ code: 'ERR_ROLE_NOT_FOUND' });
      expect(await store.findUser('u-ada')).toEqual(user);
    });

    it('deleteUser removes the user and its refresh tokens; an unknown user is ERR_USER_NOT_FOUND', async () => {
      await store.addUser(ada());
      await store.addUser(userRecord({ userId: 'u-bob', username: 'bob' }));
      const adaToken = tokenRecord();
      const bobToken = tokenRecord({ userId: 'u-bob' });
      await store.addRefreshToken(adaToken);
      await store.addRefreshToken(bobToken);
      await store.deleteUser('u-ada');
      expect(await store.findUser('u-ada')).toBeUndefined();
      expect(await store.findUserByName('ada')).toBeUndefined();
      expect(await store.findRefreshToken(adaToken.tokenHash)).toBeUndefined();
      expect(await store.findRefreshToken(bobToken.tokenHash)).toEqual(bobToken);
      await expect(store.deleteUser('u-ada')).rejects.toMatchObject({ code: 'ERR_USER_NOT_FOUND' });
      // The username is free again.
      await store.addUser(userRecord({ username: 'ada' }));
    });

    it("deleting a tenant removes its users and their refresh tokens, not other tenants'", async () => {
      await store.addUser(ada());
      await store.addUser(userRecord({ userId: 'u-carol', username: 'carol', tenantId: 'globex' }));
      const adaToken = tokenRecord();
      const carolToken = tokenRecord({ userId: 'u-carol' });
      await store.addRefreshToken(adaToken);
      await store.addRefreshToken(carolToken);
      await store.deleteTenants(['acme']);
      expect((await store.listUsers()).map((u) => u.username)).toEqual(['carol']);
      expect(await store.findRefreshToken(adaToken.tokenHash)).toBeUndefined();
      expect(await store.findRefreshToken(carolToken.tokenHash)).toEqual(carolToken);
    });
  });

  describe('roles', () => {
    it('has the default roles admin and user from the start', async () => {
      const roles = await store.listRoles();
      expect(roles.map((r) => r.name)).toEqual(['admin', 'user']);
      expect(roles[0].permissions).toMatchObject({ Users: ['view', 'edit', 'delete'] });
      expect(await store.findRole('user')).toEqual(roles[1]);
      expect(await store.findRole('wizard')).toBeUndefined();
    });

    it('putRole adds a role, then replaces its permissions and updatedAt but keeps createdAt', async () => {
      await store.putRole({ name: 'auditor', permissions: { Users: ['view'] }, createdAt: 100, updatedAt: 100 });
      expect(await store.findRole('auditor')).toEqual({ name: 'auditor', permissions: { Users: ['view'] }, createdAt: 100, updatedAt: 100 });
      await store.putRole({ name: 'auditor', permissions: { Users: ['view'], Devices: ['view'] }, createdAt: 999, updatedAt: 200 });
      expect(await store.findRole('auditor')).toEqual({ name: 'auditor', permissions: { Users: ['view'], Devices: ['view'] }, createdAt: 100, updatedAt: 200 });
      expect((await store.listRoles()).map((r) => r.name)).toEqual(['admin', 'auditor', 'user']);
    });

    it('deleteRole refuses a role users hold (ERR_FAILED_PRECONDITION) and an unknown one (ERR_ROLE_NOT_FOUND)', async () => {
      await store.putRole({ name: 'auditor', permissions: {}, createdAt: 1, updatedAt: 1 });
      await store.addUser(userRecord({ role: 'auditor' }));
      await expect(store.deleteRole('auditor')).rejects.toMatchObject({ code: 'ERR_FAILED_PRECONDITION' });
      expect(await store.findRole('auditor')).toBeDefined();
      await expect(store.deleteRole('wizard')).rejects.toMatchObject({ code: 'ERR_ROLE_NOT_FOUND' });
      await store.putRole({ name: 'idle', permissions: {}, createdAt: 1, updatedAt: 1 });
      await store.deleteRole('idle');
      expect(await store.findRole('idle')).toBeUndefined();
    });
  });

  describe('refresh tokens', () => {
    beforeEach(() => store.addUser(ada()));

    it('round-trips a token; an unknown hash finds nothing', async () => {
      const rotating = tokenRecord();
      const reusable = tokenRecord({ rotating: false, usedAt: 1_750_000_001, revokedAt: 1_750_000_002 });
      await store.addRefreshToken(rotating);
      await store.addRefreshToken(reusable);
      expect(await store.findRefreshToken(rotating.tokenHash)).toEqual(rotating);
      expect(await store.findRefreshToken(reusable.tokenHash)).toEqual(reusable);
      expect(await store.findRefreshToken('f'.repeat(64))).toBeUndefined();
    });

    it('spends a token once; a spent, revoked or unknown token cannot be spent', async () => {
      const token = tokenRecord();
      const revoked = tokenRecord();
      await store.addRefreshToken(token);
      await store.addRefreshToken(revoked);
      await store.revokeRefreshFamily(revoked.familyId, 1_750_000_100);
      expect(await store.spendRefreshToken(token.tokenHash, 1_750_000_050)).toBe(true);
      expect(await store.spendRefreshToken(token.tokenHash, 1_750_000_060)).toBe(false);
      expect((await store.findRefreshToken(token.tokenHash))?.usedAt).toBe(1_750_000_050);
      expect(await store.spendRefreshToken(revoked.tokenHash, 1_750_000_200)).toBe(false);
      expect(await store.spendRefreshToken('f'.repeat(64), 1_750_000_200)).toBe(false);
    });

    it('of concurrent spends of one token, exactly one wins', async () => {
      const token = tokenRecord();
      await store.addRefreshToken(token);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.spendRefreshToken(token.tokenHash, 1_750_000_000 + i)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const spentAt = (await store.findRefreshToken(token.tokenHash))?.usedAt;
      expect(spentAt).toBe(1_750_000_000 + results.indexOf(true));
    });

    it('revokeRefreshFamily revokes the live tokens of one family and says how many', async () => {
      const a = tokenRecord({ familyId: 'fam-x' });
      const b = tokenRecord({ familyId: 'fam-x', usedAt: 1_750_000_010 });
      const done = tokenRecord({ familyId: 'fam-x', revokedAt: 1_750_000_020 });
      const other = tokenRecord({ familyId: 'fam-y' });
      for (const t of [a, b, done, other]) await store.addRefreshToken(t);
      expect(await store.revokeRefreshFamily('fam-x', 1_750_000_500)).toBe(2);
      expect((await store.findRefreshToken(a.tokenHash))?.revokedAt).toBe(1_750_000_500);
      expect((await store.findRefreshToken(done.tokenHash))?.revokedAt).toBe(1_750_000_020);
      expect((await store.findRefreshToken(other.tokenHash))?.revokedAt).toBeNull();
      expect(await store.revokeRefreshFamily('fam-x', 1_750_000_600)).toBe(0);
      expect(await store.revokeRefreshFamily('fam-none', 1_750_000_600)).toBe(0);
    });

    it('revokes a family for good: a token added to it later is born revoked', async () => {
      const first = tokenRecord({ familyId: 'fam-x' });
      await store.addRefreshToken(first);
      expect(await store.revokeRefreshFamily('fam-x', 1_750_000_500)).toBe(1);
      // A rotation that raced the revocation adds the family's next token afterwards.
      const late = tokenRecord({ familyId: 'fam-x' });
      await store.addRefreshToken(late);
      expect((await store.findRefreshToken(late.tokenHash))?.revokedAt).toBe(1_750_000_500);
      expect(await store.spendRefreshToken(late.tokenHash, 1_750_000_600)).toBe(false);
      expect(await store.countLiveRefreshTokens(1_750_000_000)).toBe(0);
      // Revoking again keeps the first revocation time.
      await store.revokeRefreshFamily('fam-x', 1_750_000_900);
      expect((await store.findRefreshToken(first.tokenHash))?.revokedAt).toBe(1_750_000_500);
    });

    it("revokeUserRefreshTokens revokes the user's families for good, not other users'", async () => {
      await store.addUser(userRecord({ userId: 'u-bob', username: 'bob' }));
      await store.addRefreshToken(tokenRecord({ familyId: 'fam-ada' }));
      await store.addRefreshToken(tokenRecord({ familyId: 'fam-bob', userId: 'u-bob' }));
      await store.revokeUserRefreshTokens('u-ada', 1_750_000_500);
      const lateAda = tokenRecord({ familyId: 'fam-ada' });
      const lateBob = tokenRecord({ familyId: 'fam-bob', userId: 'u-bob' });
      await store.addRefreshToken(lateAda);
      await store.addRefreshToken(lateBob);
      expect((await store.findRefreshToken(lateAda.tokenHash))?.revokedAt).toBe(1_750_000_500);
      expect((await store.findRefreshToken(lateBob.tokenHash))?.revokedAt).toBeNull();
      expect(await store.spendRefreshToken(lateBob.tokenHash, 1_750_000_600)).toBe(true);
    });

    it("revokeUserRefreshTokens revokes one user's live tokens and says how many", async () => {
      await store.addUser(userRecord({ userId: 'u-bob', username: 'bob' }));
      for (const t of [tokenRecord(), tokenRecord(), tokenRecord({ revokedAt: 5 }), tokenRecord({ userId: 'u-bob' })]) await store.addRefreshToken(t);
      expect(await store.revokeUserRefreshTokens('u-ada', 1_750_000_500)).toBe(2);
      expect(await store.revokeUserRefreshTokens('u-ada', 1_750_000_600)).toBe(0);
      expect(await store.countLiveRefreshTokens(1_750_000_000)).toBe(1);
    });

    describe('rotateRefreshToken', () => {
      const refreshed: AuditEvent = { at: 1_750_000_050_123, event: 'refresh', outcome: 'success', dialect: 'monogoto', username: 'ada', tenantId: 'acme', address: '192.0.2.7', detail: null };
      const refreshes = async () => (await store.listAudit(100)).filter((e) => e.event === 'refresh');

      it('spends the token, adds the next one of its family and records the audit event, together', async () => {
        const spent = tokenRecord({ familyId: 'fam-r' });
        const next = tokenRecord({ familyId: 'fam-r', issuedAt: 1_750_000_050, expiresAt: 1_750_086_450 });
        await store.addRefreshToken(spent);
        expect(await store.rotateRefreshToken(spent.tokenHash, 1_750_000_050, next, refreshed)).toBe(true);
        expect((await store.findRefreshToken(spent.tokenHash))?.usedAt).toBe(1_750_000_050);
        expect(await store.findRefreshToken(next.tokenHash)).toEqual(next);
        expect(await refreshes()).toEqual([refreshed]);
      });

      it('a spent or unknown token: false, no next token and no audit row', async () => {
        const spent = tokenRecord({ familyId: 'fam-r' });
        await store.addRefreshToken(spent);
        expect(await store.spendRefreshToken(spent.tokenHash, 1_750_000_040)).toBe(true);
        const next = tokenRecord({ familyId: 'fam-r' });
        expect(await store.rotateRefreshToken(spent.tokenHash, 1_750_000_050, next, refreshed)).toBe(false);
        expect(await store.rotateRefreshToken('f'.repeat(64), 1_750_000_050, tokenRecord(), refreshed)).toBe(false);
        expect(await store.findRefreshToken(next.tokenHash)).toBeUndefined();
        expect((await store.findRefreshToken(spent.tokenHash))?.usedAt).toBe(1_750_000_040);
        expect(await refreshes()).toEqual([]);
        expect(await store.countLiveRefreshTokens(1_750_000_000)).toBe(1);
      });

      it('a token of a revoked family, or revoked itself: false, nothing spent or added', async () => {
        const inRevoked = tokenRecord({ familyId: 'fam-gone' });
        const revoked = tokenRecord({ familyId: 'fam-r', revokedAt: 1_750_000_010 });
        await store.addRefreshToken(inRevoked);
        await store.addRefreshToken(revoked);
        await store.revokeRefreshFamily('fam-gone', 1_750_000_020);
        const nexts = [tokenRecord({ familyId: 'fam-gone' }), tokenRecord({ familyId: 'fam-r' })];
        expect(await store.rotateRefreshToken(inRevoked.tokenHash, 1_750_000_050, nexts[0], refreshed)).toBe(false);
        expect(await store.rotateRefreshToken(revoked.tokenHash, 1_750_000_050, nexts[1], refreshed)).toBe(false);
        for (const t of nexts) expect(await store.findRefreshToken(t.tokenHash)).toBeUndefined();
        expect((await store.findRefreshToken(inRevoked.tokenHash))?.usedAt).toBeNull();
        expect(await refreshes()).toEqual([]);
      });

      it('of concurrent rotations of one token exactly one wins: one next token, one audit row', async () => {
        const spent = tokenRecord({ familyId: 'fam-r' });
        await store.addRefreshToken(spent);
        const nexts = Array.from({ length: 6 }, () => tokenRecord({ familyId: 'fam-r' }));
        const results = await Promise.all(nexts.map((n, i) => store.rotateRefreshToken(spent.tokenHash, 1_750_000_050 + i, n, { ...refreshed, detail: `r${i}` })));
        expect(results.filter(Boolean)).toHaveLength(1);
        const won = results.indexOf(true);
        const found = await Promise.all(nexts.map((n) => store.findRefreshToken(n.tokenHash)));
        expect(found.map((f) => f !== undefined)).toEqual(results);
        expect((await refreshes()).map((e) => e.detail)).toEqual([`r${won}`]);
        expect((await store.findRefreshToken(spent.tokenHash))?.usedAt).toBe(1_750_000_050 + won);
      });

      it('a reuse after a rotation revokes the family: the next token added by the rotation is revoked too', async () => {
        const spent = tokenRecord({ familyId: 'fam-r' });
        const next = tokenRecord({ familyId: 'fam-r' });
        await store.addRefreshToken(spent);
        expect(await store.rotateRefreshToken(spent.tokenHash, 1_750_000_050, next, refreshed)).toBe(true);
        expect(await store.rotateRefreshToken(spent.tokenHash, 1_750_000_060, tokenRecord({ familyId: 'fam-r' }), refreshed)).toBe(false);
        expect(await store.revokeRefreshFamily('fam-r', 1_750_000_060)).toBe(2);
        expect((await store.findRefreshToken(next.tokenHash))?.revokedAt).toBe(1_750_000_060);
        expect(await store.rotateRefreshToken(next.tokenHash, 1_750_000_070, tokenRecord({ familyId: 'fam-r' }), refreshed)).toBe(false);
      });

      it('a next token of an unknown user is refused (the user went): nothing written, the presented token not spent', async () => {
        const spent = tokenRecord({ familyId: 'fam-r' });
        await store.addRefreshToken(spent);
        // By code: an error the native SQLite addon made belongs to the realm of the first test file that
        // loaded it, so toThrow's instanceof Error fails for it when jest runs files in one process.
        await expect(store.rotateRefreshToken(spent.tokenHash, 1_750_000_050, tokenRecord({ userId: 'u-none' }), refreshed)).rejects.toMatchObject({ code: 'ERR_USER_NOT_FOUND' });
        expect((await store.findRefreshToken(spent.tokenHash))?.usedAt).toBeNull();
        expect(await refreshes()).toEqual([]);
      });
    });

    it('counts live tokens: neither revoked nor expired at `now`', async () => {
      await store.addRefreshToken(tokenRecord({ expiresAt: 2000 }));
      await store.addRefreshToken(tokenRecord({ expiresAt: 3000 }));
      await store.addRefreshToken(tokenRecord({ expiresAt: 3000, revokedAt: 10 }));
      expect(await store.countLiveRefreshTokens(1000)).toBe(2);
      expect(await store.countLiveRefreshTokens(2000)).toBe(1);
      expect(await store.countLiveRefreshTokens(3000)).toBe(0);
    });
  });

  describe('failure counters', () => {
    const T = 1_750_000_000_000;
    const noLock = () => 0;

    it('counts failures per key and returns the counters in the order asked', async () => {
      expect(await store.recordFailures(['acct:ada', 'addr:192.0.2.7'], T, T - 60_000, noLock)).toEqual([
        { key: 'acct:ada', failures: 1, lockedUntil: 0, lastFailureAt: T },
        { key: 'addr:192.0.2.7', failures: 1, lockedUntil: 0, lastFailureAt: T },
      ]);
      const [second] = await store.recordFailures(['acct:ada'], T + 10, T - 60_000, noLock);
      expect(second).toEqual({ key: 'acct:ada', failures: 2, lockedUntil: 0, lastFailureAt: T + 10 });
      expect(await store.getFailures(['addr:192.0.2.7', 'acct:none', 'acct:ada'])).toEqual([
        { key: 'addr:192.0.2.7', failures: 1, lockedUntil: 0, lastFailureAt: T },
        second,
      ]);
    });

    it('forgets failures older than the window before counting', async () => {
      await store.recordFailures(['acct:ada'], T, T - 60_000, noLock);
      await store.recordFailures(['acct:ada'], T + 1000, T - 60_000, noLock);
      const [later] = await store.recordFailures(['acct:ada'], T + 120_000, T + 60_000, noLock);
      expect(later.failures).toBe(1);
    });

    it('sets the lock lockFor gives, from the count after this failure', async () => {
      const lockFor = jest.fn((failures: number) => (failures >= 3 ? 60_000 : 0));
      const runs = [];
      for (let i = 0; i < 4; i += 1) runs.push((await store.recordFailures(['acct:ada'], T + i, T - 1, lockFor))[0]);
      expect(runs.map((c) => [c.failures, c.lockedUntil])).toEqual([
        [1, 0],
        [2, 0],
        [3, T + 2 + 60_000],
        [4, T + 3 + 60_000],
      ]);
      expect(lockFor).toHaveBeenCalledWith(3, 'acct:ada');
      expect((await store.getFailures(['acct:ada']))[0].lockedUntil).toBe(T + 3 + 60_000);
    });

    it('countAttempt counts nothing while a key is locked and says until when', async () => {
      const lockAt2 = (failures: number) => (failures >= 2 ? 60_000 : 0);
      expect((await store.countAttempt(['acct:ada', 'addr:y'], T, T - 1, lockAt2)).lockedUntil).toBe(0);
      const second = await store.countAttempt(['acct:ada', 'addr:y'], T + 1, T - 1, lockAt2);
      expect(second.lockedUntil).toBe(0);
      expect(second.counters.map((c) => c.failures)).toEqual([2, 2]);
      const refused = await store.countAttempt(['acct:ada', 'addr:y'], T + 2, T - 1, lockAt2);
      expect(refused.lockedUntil).toBe(T + 1 + 60_000);
      expect((await store.getFailures(['acct:ada'])).map((c) => c.failures)).toEqual([2]);
      await store.forgiveFailures(['addr:y']);
      expect((await store.getFailures(['addr:y'])).map((c) => c.failures)).toEqual([1]);
    });

    it('countAttempt lets exactly as many concurrent attempts through as the lock allows', async () => {
      const lockAt3 = (failures: number) => (failures >= 3 ? 60_000 : 0);
      // Several rounds on keys with no counter yet: the first attempts are where a row lock has nothing to hold.
      for (let round = 0; round < 5; round += 1) {
        const keys = [`acct:bob-${round}`, `addr:z-${round}`];
        const results = await Promise.all(Array.from({ length: 10 }, () => store.countAttempt(keys, T, T - 1, lockAt3)));
        expect(results.filter((r) => r.lockedUntil === 0)).toHaveLength(3);
      }
    });

    it('lockFailures sets the lock lockFor gives for the count now, never shortens one, and skips keys without a counter', async () => {
      const lockAt2 = jest.fn((failures: number) => (failures >= 2 ? 60_000 : 0));
      await store.countAttempt(['acct:ada', 'addr:y'], T, T - 1, noLock);
      await store.countAttempt(['acct:ada'], T + 1, T - 1, noLock);
      expect(await store.lockFailures(['acct:ada', 'acct:none', 'addr:y'], T + 5, lockAt2)).toEqual([
        { key: 'acct:ada', failures: 2, lockedUntil: T + 5 + 60_000, lastFailureAt: T + 1 },
        { key: 'addr:y', failures: 1, lockedUntil: 0, lastFailureAt: T },
      ]);
      expect(lockAt2).toHaveBeenCalledWith(2, 'acct:ada');
      // A shorter lock later does not shorten the one set.
      const [kept] = await store.lockFailures(['acct:ada'], T + 6, () => 1000);
      expect(kept.lockedUntil).toBe(T + 5 + 60_000);
      expect(await store.getFailures(['acct:none'])).toEqual([]);
      expect((await store.countAttempt(['acct:ada'], T + 7, T - 1, noLock)).lockedUntil).toBe(T + 5 + 60_000);
    });

    it('loses no increment under concurrent failures of one key', async () => {
      const n = 12;
      const results = await Promise.all(Array.from({ length: n }, () => store.recordFailures(['acct:ada', 'addr:x'], T, T - 1, noLock)));
      expect(results.map((r) => r[0].failures).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect((await store.getFailures(['acct:ada', 'addr:x'])).map((c) => c.failures)).toEqual([n, n]);
    });

    it('attemptSucceeded clears the first keys and takes one failure back from the others, in one call', async () => {
      await store.recordFailures(['acct:ada', 'acct:bob', 'addr:y'], T, T - 1, noLock);
      await store.recordFailures(['addr:y'], T, T - 1, noLock);
      await store.attemptSucceeded(['acct:ada', 'acct:none'], ['addr:y', 'addr:none']);
      expect((await store.getFailures(['acct:ada', 'acct:bob', 'addr:y', 'addr:none'])).map((c) => [c.key, c.failures])).toEqual([
        ['acct:bob', 1],
        ['addr:y', 1],
      ]);
      await store.attemptSucceeded([], []);
      // A key named in both lists is cleared.
      await store.attemptSucceeded(['addr:y'], ['addr:y']);
      expect(await store.getFailures(['addr:y'])).toEqual([]);
    });

    describe("attemptSucceeded with a login's writes", () => {
      const loggedIn: AuditEvent = { at: 1_750_000_060_123, event: 'login', outcome: 'success', dialect: 'datarhei', username: 'ada', tenantId: 'acme', address: '192.0.2.7', detail: null };
      const logins = async () => (await store.listAudit(100)).filter((e) => e.event === 'login');

      it('settles the counters, adds the token and records the audit row, together; either alone too', async () => {
        await store.addUser(ada());
        await store.recordFailures(['acct:ada', 'addr:y'], T, T - 1, noLock);
        await store.recordFailures(['addr:y'], T, T - 1, noLock);
        const token = tokenRecord({ rotating: false });
        await store.attemptSucceeded(['acct:ada'], ['addr:y'], { token, audit: loggedIn });
        expect((await store.getFailures(['acct:ada', 'addr:y'])).map((c) => [c.key, c.failures])).toEqual([['addr:y', 1]]);
        expect(await store.findRefreshToken(token.tokenHash)).toEqual(token);
        expect(await logins()).toEqual([loggedIn]);
        // A challenge (no token) and a token without an audit row.
        await store.attemptSucceeded([], ['addr:y'], { audit: { ...loggedIn, detail: 'challenge' } });
        const second = tokenRecord();
        await store.attemptSucceeded([], [], { token: second });
        expect(await store.getFailures(['addr:y'])).toMatchObject([{ failures: 0 }]);
        expect(await store.findRefreshToken(second.tokenHash)).toEqual(second);
        expect((await logins()).map((e) => e.detail)).toEqual(['challenge', null]);
      });

      it("a token whose user is gone: ERR_USER_NOT_FOUND, and neither the counters, the token nor the audit row is written", async () => {
        await store.recordFailures(['acct:gone', 'addr:y'], T, T - 1, noLock);
        const token = tokenRecord({ userId: 'u-gone' });
        await expect(store.attemptSucceeded(['acct:gone'], ['addr:y'], { token, audit: loggedIn })).rejects.toMatchObject({ code: 'ERR_USER_NOT_FOUND' });
        expect((await store.getFailures(['acct:gone', 'addr:y'])).map((c) => c.failures)).toEqual([1, 1]);
        expect(await store.findRefreshToken(token.tokenHash)).toBeUndefined();
        expect(await logins()).toEqual([]);
      });
    });

    it('clearFailures removes only the keys named', async () => {
      await store.recordFailures(['acct:ada', 'acct:bob'], T, T - 1, noLock);
      await store.clearFailures(['acct:ada', 'acct:none']);
      expect((await store.getFailures(['acct:ada', 'acct:bob'])).map((c) => c.key)).toEqual(['acct:bob']);
      await store.clearFailures([]);
    });
  });

  describe('audit trail', () => {
    it('lists events newest first, up to the limit, fields unchanged', async () => {
      // Same `at` for two events: the order recorded decides, not the clock.
      const events = [auditEvent(1_750_000_000_001, 'first'), auditEvent(1_750_000_000_002, null), auditEvent(1_750_000_000_002, 'third')];
      for (const e of events) await store.recordAudit(e);
      expect(await store.listAudit(10)).toEqual([...events].reverse());
      expect(await store.listAudit(2)).toEqual([events[2], events[1]]);
    });

    it('keeps every event recorded at once, in the order recorded, text unchanged', async () => {
      // More than one batch (MAX_AUDIT_BATCH), a group of several among them; text that array literals and SQL quote.
      const odd = ['NULL', 'a "quoted", {braced} word', 'back\\slash', "it's", '', 'ünïcødé ✓', 'line\nbreak'];
      const single = Array.from({ length: 600 }, (_v, i) => ({ ...auditEvent(1_750_000_000_000 + i, odd[i % odd.length]), username: i % 3 === 0 ? null : odd[i % odd.length] }));
      const group = [auditEvent(1_760_000_000_000, 'group 1'), auditEvent(1_760_000_000_001, 'group 2')];
      await Promise.all([...single.slice(0, 300).map((e) => store.recordAudit(e)), store.recordAudits(group), ...single.slice(300).map((e) => store.recordAudit(e))]);
      expect(await store.listAudit(1000)).toEqual([...single.slice(0, 300), ...group, ...single.slice(300)].reverse());
    });

    it('refuses a bad event recorded together with good ones, and only its caller', async () => {
      const bad = { ...auditEvent(1_750_000_000_002, 'no dialect'), dialect: null } as unknown as AuditEvent;
      const results = await Promise.allSettled([
        store.recordAudit(auditEvent(1_750_000_000_001, 'good')),
        store.recordAudit(bad),
        store.recordAudits([auditEvent(1_750_000_000_003, 'good too'), auditEvent(1_750_000_000_004, 'and this')]),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((await store.listAudit(10)).map((e) => e.detail)).toEqual(['and this', 'good too', 'good']);
    });
  });

  describe('change events', () => {
    const writes: [string, (s: Store) => Promise<unknown>][] = [
      ['addUser', (s) => s.addUser(userRecord())],
      ['updateUser', (s) => s.updateUser('u-ada', { disabled: true }, 1)],
      ['deleteUser', (s) => s.deleteUser('u-ada')],
      ['putRole', (s) => s.putRole({ name: 'auditor', permissions: {}, createdAt: 1, updatedAt: 1 })],
      ['revokeRefreshFamily', (s) => s.revokeRefreshFamily('fam-ada', 1)],
      ['revokeUserRefreshTokens', (s) => s.revokeUserRefreshTokens('u-ada', 1)],
    ];

    it.each(writes)('fires "users" after %s', async (_method, write) => {
      await store.addUser(ada());
      await store.addRefreshToken(tokenRecord({ familyId: 'fam-ada' }));
      const seen = nextTopic(store, 'users' as StoreTopic);
      await write(store);
      await expect(seen).resolves.toBe('users');
    });
  });
}

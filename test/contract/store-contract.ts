/**
 * The store contract: what every backend must do, tested through the Store interface only.
 * A backend's test file calls describeStoreContract with a function opening a fresh, empty store.
 */
import { AuditEvent, CertificateFilter, Store, StoreTopic } from '../../src/store/store';
import { describeChallengeContract } from './challenge-contract';
import { describeIdentityContract } from './identity-contract';
import { describeAuditPurgeContract } from './audit-purge-contract';
import { describeAuditQueryContract } from './audit-query-contract';
import { describeIdentityPurgeContract } from './identity-purge-contract';
import { certRecord, keyRecord, MAX_SERIAL, nextTopic, snapshot, sortedIds } from './store-fixtures';

export interface StoreHarness {
  store: Store;
  /** Opens the same data again, after `store` was closed. Backends without persistence leave it out. */
  reopen?: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

export function describeStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      h = await open();
      store = h.store;
    });

    afterEach(async () => {
      await h.cleanup();
    });

    /** acme owns gw-a1 and gw-a2; globex owns gw-g1. */
    const seed = () =>
      store.addTenants([
        { tenantId: 'acme', gatewayIds: ['gw-a1', 'gw-a2'] },
        { tenantId: 'globex', gatewayIds: ['gw-g1'] },
      ]);

    describe('tenants', () => {
      it('has the administrator tenant from the start, and nothing else', async () => {
        expect(await store.listTenants()).toEqual(['administrator']);
        expect(await store.getTenants(['administrator'])).toEqual([{ tenantId: 'administrator', gatewayIds: [] }]);
        expect(await store.listGateways()).toEqual([]);
      });

      it('adds tenants with their gateways', async () => {
        await seed();
        expect([...(await store.listTenants())].sort()).toEqual(['acme', 'administrator', 'globex']);
        const [acme] = await store.getTenants(['acme']);
        expect(acme.tenantId).toBe('acme');
        expect([...acme.gatewayIds].sort()).toEqual(['gw-a1', 'gw-a2']);
      });

      it('hasTenant answers for one tenant ID, exactly (no prefix or case folding)', async () => {
        expect(await store.hasTenant('administrator')).toBe(true);
        expect(await store.hasTenant('acme')).toBe(false);
        await seed();
        expect(await store.hasTenant('acme')).toBe(true);
        expect(await store.hasTenant('ACME')).toBe(false);
        expect(await store.hasTenant('acm')).toBe(false);
        expect(await store.hasTenant('')).toBe(false);
        await store.deleteTenants(['acme']);
        expect(await store.hasTenant('acme')).toBe(false);
        expect(await store.hasTenant('globex')).toBe(true);
      });

      it('tenantGeneration: a new random generation each time a tenant is added, undefined when not registered', async () => {
        expect(await store.tenantGeneration('acme')).toBeUndefined();
        await seed();
        const first = await store.tenantGeneration('acme');
        expect(first).toMatch(/^[A-Za-z0-9_-]{16}$/);
        expect(await store.tenantGeneration('globex')).not.toBe(first);
        expect(await store.tenantGeneration('ACME')).toBeUndefined();
        await store.deleteTenants(['acme']);
        expect(await store.tenantGeneration('acme')).toBeUndefined();
        await store.addTenants([{ tenantId: 'acme', gatewayIds: [] }]);
        const second = await store.tenantGeneration('acme');
        expect(second).toMatch(/^[A-Za-z0-9_-]{16}$/);
        expect(second).not.toBe(first);
        // Tenants older than generations (the administrator's, made by the first migration) have the empty one.
        expect(await store.tenantGeneration('administrator')).toBe('');
      });

      it('getTenants returns only the existing tenants, in the order asked', async () => {
        await seed();
        const found = await store.getTenants(['globex', 'missing', 'administrator', 'acme']);
        expect(found.map((t) => t.tenantId)).toEqual(['globex', 'administrator', 'acme']);
        expect(found[0].gatewayIds).toEqual(['gw-g1']);
        expect(await store.getTenants(['missing'])).toEqual([]);
        expect(await store.getTenants([])).toEqual([]);
      });

      it.each([
        ['first', ['acme', 'new-1', 'new-2']],
        ['in the middle', ['new-1', 'acme', 'new-2']],
        ['last', ['new-1', 'new-2', 'acme']],
      ])('addTenants adds nothing when an existing ID is %s in the batch', async (_where, ids) => {
        await seed();
        const before = await snapshot(store);
        const batch = ids.map((tenantId) => ({ tenantId, gatewayIds: tenantId === 'acme' ? [] : [`gw-of-${tenantId}`] }));
        await expect(store.addTenants(batch)).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
        expect(await snapshot(store)).toEqual(before);
        expect(await store.findGateway('gw-of-new-1')).toBeUndefined();
      });

      it('addTenants rejects an ID given twice in one batch and adds nothing', async () => {
        await expect(
          store.addTenants([
            { tenantId: 'twin', gatewayIds: ['gw-t1'] },
            { tenantId: 'twin', gatewayIds: [] },
          ]),
        ).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
        expect(await store.listTenants()).toEqual(['administrator']);
        expect(await store.listGateways()).toEqual([]);
      });

      it('a gateway ID belongs to at most one tenant (addTenants)', async () => {
        await seed();
        const before = await snapshot(store);
        await expect(store.addTenants([{ tenantId: 'initech', gatewayIds: ['gw-new', 'gw-a1'] }])).rejects.toMatchObject({
          code: 'ERR_ALREADY_EXISTS',
        });
        await expect(
          store.addTenants([
            { tenantId: 'one', gatewayIds: ['gw-shared'] },
            { tenantId: 'two', gatewayIds: ['gw-shared'] },
          ]),
        ).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
        expect(await snapshot(store)).toEqual(before);
        expect(await store.findGateway('gw-a1')).toEqual({ gatewayId: 'gw-a1', tenantId: 'acme' });
      });

      it('deleteTenants removes the tenants and their gateway registrations', async () => {
        await seed();
        await store.deleteTenants(['acme']);
        expect([...(await store.listTenants())].sort()).toEqual(['administrator', 'globex']);
        expect(await store.getTenants(['acme'])).toEqual([]);
        expect(await store.findGateway('gw-a1')).toBeUndefined();
        expect(await store.listGateways()).toEqual([{ gatewayId: 'gw-g1', tenantId: 'globex' }]);
        // The freed gateway ID can be registered again, elsewhere.
        await store.addGateways('globex', ['gw-a1']);
        expect(await store.findGateway('gw-a1')).toEqual({ gatewayId: 'gw-a1', tenantId: 'globex' });
      });

      it('deleteTenants is all or nothing: one unknown ID deletes nothing', async () => {
        await seed();
        const before = await snapshot(store);
        await expect(store.deleteTenants(['acme', 'missing', 'globex'])).rejects.toMatchObject({ code: 'ERR_TENANT_NOT_FOUND' });
        expect(await snapshot(store)).toEqual(before);
      });
    });

    describe('gateways', () => {
      it('lists, filters and finds gateways', async () => {
        await seed();
        expect(sortedIds(await store.listGateways())).toEqual(['gw-a1', 'gw-a2', 'gw-g1']);
        expect(sortedIds(await store.listGateways('acme'))).toEqual(['gw-a1', 'gw-a2']);
        expect(await store.listGateways('globex')).toEqual([{ gatewayId: 'gw-g1', tenantId: 'globex' }]);
        expect(await store.listGateways('administrator')).toEqual([]);
        expect(await store.findGateway('gw-a2')).toEqual({ gatewayId: 'gw-a2', tenantId: 'acme' });
        expect(await store.findGateway('gw-none')).toBeUndefined();
      });

      it('addGateways registers new gateways to an existing tenant', async () => {
        await seed();
        await store.addGateways('globex', ['gw-g2', 'gw-g3']);
        expect(sortedIds(await store.listGateways('globex'))).toEqual(['gw-g1', 'gw-g2', 'gw-g3']);
        const [globex] = await store.getTenants(['globex']);
        expect([...globex.gatewayIds].sort()).toEqual(['gw-g1', 'gw-g2', 'gw-g3']);
      });

      it('addGateways to a missing tenant fails with ERR_TENANT_NOT_FOUND and adds nothing', async () => {
        await expect(store.addGateways('missing', ['gw-x'])).rejects.toMatchObject({ code: 'ERR_TENANT_NOT_FOUND' });
        expect(await store.findGateway('gw-x')).toBeUndefined();
        expect(await store.listTenants()).toEqual(['administrator']);
      });

      it("addGateways of another tenant's gateway fails with ERR_ALREADY_EXISTS and adds nothing", async () => {
        await seed();
        const before = await snapshot(store);
        await expect(store.addGateways('globex', ['gw-new', 'gw-a1'])).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
        await expect(store.addGateways('acme', ['gw-a1'])).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
        expect(await snapshot(store)).toEqual(before);
      });

      it('addGateways past maxPerTenant fails with ERR_QUOTA_EXCEEDED and adds nothing; parallel adds cannot pass it together', async () => {
        await seed(); // globex has one gateway
        const before = await snapshot(store);
        await expect(store.addGateways('globex', ['gw-g2', 'gw-g3', 'gw-g4'], 3)).rejects.toMatchObject({ code: 'ERR_QUOTA_EXCEEDED' });
        expect(await snapshot(store)).toEqual(before);
        await store.addGateways('globex', ['gw-g2', 'gw-g3'], 3);
        await store.addTenants([{ tenantId: 'initech', gatewayIds: [] }]);
        const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.addGateways('initech', [`gw-i${i}`], 2)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ERR_QUOTA_EXCEEDED' });
        expect(await store.listGateways('initech')).toHaveLength(2);
      });

      it('deleteGateways removes only the named gateways', async () => {
        await seed();
        await store.deleteGateways([{ gatewayId: 'gw-a1', tenantId: 'acme' }]);
        expect(await store.listGateways('acme')).toEqual([{ gatewayId: 'gw-a2', tenantId: 'acme' }]);
        expect(await store.findGateway('gw-a1')).toBeUndefined();
        expect(await store.findGateway('gw-g1')).toEqual({ gatewayId: 'gw-g1', tenantId: 'globex' });
      });

      it.each([
        ["another tenant's gateway", ['gw-a1', 'gw-g1']],
        ['an unknown gateway', ['gw-a1', 'gw-none']],
      ])('deleteGateways of %s fails with ERR_GATEWAY_NOT_FOUND and deletes nothing', async (_what, ids) => {
        await seed();
        const before = await snapshot(store);
        await expect(store.deleteGateways(ids.map((gatewayId) => ({ gatewayId, tenantId: 'acme' })))).rejects.toMatchObject({ code: 'ERR_GATEWAY_NOT_FOUND' });
        expect(await snapshot(store)).toEqual(before);
      });

      it('deleteGateways across tenants removes them in one go, and nothing when one pair is wrong', async () => {
        await seed();
        const before = await snapshot(store);
        await expect(
          store.deleteGateways([
            { gatewayId: 'gw-a1', tenantId: 'acme' },
            { gatewayId: 'gw-g1', tenantId: 'acme' },
          ]),
        ).rejects.toMatchObject({ code: 'ERR_GATEWAY_NOT_FOUND' });
        expect(await snapshot(store)).toEqual(before);
        await store.deleteGateways([
          { gatewayId: 'gw-a1', tenantId: 'acme' },
          { gatewayId: 'gw-g1', tenantId: 'globex' },
        ]);
        expect(await store.findGateway('gw-a1')).toBeUndefined();
        expect(await store.findGateway('gw-g1')).toBeUndefined();
        expect(await store.findGateway('gw-a2')).toEqual({ gatewayId: 'gw-a2', tenantId: 'acme' });
      });
    });

    describe('certificates', () => {
      it('records a certificate and reads it back unchanged', async () => {
        const record = certRecord({ kind: 'gateway', tenantId: 'acme', gatewayId: 'gw-a1' });
        await store.recordCertificate(record);
        expect(await store.findCertificate(record.serial)).toEqual({ ...record, blacklisted: false });
        expect(await store.listCertificates()).toEqual([{ ...record, blacklisted: false }]);
        expect(await store.findCertificate(record.serial + 1n)).toBeUndefined();
      });

      it('keeps serials up to 2^63-1 exact, even next to serials a double cannot tell apart', async () => {
        const serials = [1n, 2n ** 53n, 2n ** 53n + 1n, MAX_SERIAL - 1n, MAX_SERIAL];
        for (const serial of serials) await store.recordCertificate(certRecord({ serial }));
        const listed = (await store.listCertificates()).map((c) => c.serial).sort((a, b) => (a < b ? -1 : 1));
        expect(listed).toEqual(serials);
        for (const serial of serials) {
          const found = await store.findCertificate(serial);
          expect(typeof found?.serial).toBe('bigint');
          expect(found?.serial).toBe(serial);
        }
      });

      it('lists certificates by tenant, by gateway, and by both', async () => {
        const ca = certRecord({ kind: 'ca', tenantId: null, gatewayId: null });
        const acme = certRecord({ tenantId: 'acme' });
        const acmeGw = certRecord({ kind: 'gateway', tenantId: 'acme', gatewayId: 'gw-a1' });
        const globexGw = certRecord({ kind: 'gateway', tenantId: 'globex', gatewayId: 'gw-g1' });
        for (const r of [ca, acme, acmeGw, globexGw]) await store.recordCertificate(r);
        const serialsOf = async (filter?: CertificateFilter) =>
          (await store.listCertificates(filter)).map((c) => c.serial).sort((a, b) => (a < b ? -1 : 1));
        expect(await serialsOf()).toEqual([ca.serial, acme.serial, acmeGw.serial, globexGw.serial]);
        expect(await serialsOf({ tenantId: 'acme' })).toEqual([acme.serial, acmeGw.serial]);
        expect(await serialsOf({ gatewayId: 'gw-g1' })).toEqual([globexGw.serial]);
        expect(await serialsOf({ tenantId: 'acme', gatewayId: 'gw-a1' })).toEqual([acmeGw.serial]);
        expect(await serialsOf({ tenantId: 'globex', gatewayId: 'gw-a1' })).toEqual([]);
        // Any of several owners, in one query.
        expect(await serialsOf({ tenantIds: ['acme', 'globex'] })).toEqual([acme.serial, acmeGw.serial, globexGw.serial]);
        expect(await serialsOf({ tenantIds: ['initech'] })).toEqual([]);
        expect(await serialsOf({ tenantIds: [] })).toEqual([]);
        expect(await serialsOf({ gatewayIds: ['gw-a1', 'gw-g1', 'gw-none'] })).toEqual([acmeGw.serial, globexGw.serial]);
        expect(await serialsOf({ tenantIds: ['globex'], gatewayIds: ['gw-a1', 'gw-g1'] })).toEqual([globexGw.serial]);
        // IDs are values, never SQL.
        expect(await serialsOf({ tenantIds: ["acme') OR 1=1 --"] })).toEqual([]);
      });
    });

    describe('blacklist', () => {
      const entry = (serial: bigint, tenantId = 'acme', gatewayId: string | null = null) => ({ serial, tenantId, gatewayId, addedAt: 1_750_000_000 });

      it('marks blacklisted certificates in listCertificates and findCertificate', async () => {
        const listed = certRecord({ serial: MAX_SERIAL });
        const clean = certRecord();
        await store.recordCertificate(listed);
        await store.recordCertificate(clean);
        await store.addBlacklist([entry(MAX_SERIAL)]);
        expect(await store.listBlacklist()).toEqual([entry(MAX_SERIAL)]);
        expect((await store.findCertificate(MAX_SERIAL))?.blacklisted).toBe(true);
        expect((await store.findCertificate(clean.serial))?.blacklisted).toBe(false);
        const flags = new Map((await store.listCertificates()).map((c) => [c.serial, c.blacklisted]));
        expect(flags).toEqual(new Map([[MAX_SERIAL, true], [clean.serial, false]]));
      });

      it('adding a serial again is a no-op', async () => {
        await store.addBlacklist([entry(7n), entry(7n)]);
        await store.addBlacklist([entry(7n)]);
        expect(await store.listBlacklist()).toEqual([entry(7n)]);
      });

      it('removes entries, and removing an unknown serial is harmless', async () => {
        const record = certRecord();
        await store.recordCertificate(record);
        await store.addBlacklist([entry(record.serial), entry(8n)]);
        await store.removeBlacklist([record.serial, 999n]);
        expect(await store.listBlacklist()).toEqual([entry(8n)]);
        expect((await store.findCertificate(record.serial))?.blacklisted).toBe(false);
      });

      it('filters the blacklist by tenant and gateway', async () => {
        await store.addBlacklist([entry(1n, 'acme'), entry(2n, 'acme', 'gw-a1'), entry(3n, 'globex', 'gw-g1')]);
        const serialsOf = async (filter: { tenantId?: string; gatewayId?: string }) =>
          (await store.listBlacklist(filter)).map((e) => e.serial).sort((a, b) => (a < b ? -1 : 1));
        expect(await serialsOf({ tenantId: 'acme' })).toEqual([1n, 2n]);
        expect(await serialsOf({ gatewayId: 'gw-g1' })).toEqual([3n]);
        expect(await serialsOf({ tenantId: 'acme', gatewayId: 'gw-a1' })).toEqual([2n]);
        expect(await serialsOf({ tenantId: 'initech' })).toEqual([]);
      });
    });

    describe('revoked tokens', () => {
      it('isTokenRevoked answers for one token ID until the revocation is purged', async () => {
        expect(await store.isTokenRevoked('short')).toBe(false);
        await store.revokeToken({ jti: 'short', expiresAt: 1000 });
        await store.revokeToken({ jti: 'long', expiresAt: 5000 });
        // Revoking twice is harmless.
        await store.revokeToken({ jti: 'long', expiresAt: 5000 });
        expect(await store.isTokenRevoked('short')).toBe(true);
        expect(await store.isTokenRevoked('long')).toBe(true);
        expect(await store.isTokenRevoked('LONG')).toBe(false);
        expect(await store.purgeRevokedTokens(999)).toBe(0);
        expect(await store.isTokenRevoked('short')).toBe(true);
        expect(await store.purgeRevokedTokens(1001)).toBe(1);
        expect(await store.isTokenRevoked('short')).toBe(false);
        expect(await store.isTokenRevoked('long')).toBe(true);
        expect(await store.listRevokedTokens(1001)).toEqual([{ jti: 'long', expiresAt: 5000 }]);
      });


      it('lists the revocations still in force and drops the expired ones', async () => {
        await store.revokeToken({ jti: 'short', expiresAt: 1000 });
        await store.revokeToken({ jti: 'long', expiresAt: 5000 });
        const byJti = (list: { jti: string }[]) => [...list].sort((a, b) => a.jti.localeCompare(b.jti));
        expect(byJti(await store.listRevokedTokens(999))).toEqual([
          { jti: 'long', expiresAt: 5000 },
          { jti: 'short', expiresAt: 1000 },
        ]);
        expect(await store.listRevokedTokens(1001)).toEqual([{ jti: 'long', expiresAt: 5000 }]);
        expect(await store.listRevokedTokens(5001)).toEqual([]);
      });
    });

    describe('signing keys', () => {
      it('round-trips keys in creation order, not kid order', async () => {
        const keys = [keyRecord('kid-c', 100), keyRecord('kid-a', 200), keyRecord('kid-b', 300)];
        for (const key of keys) await store.addSigningKey(key);
        expect(await store.listSigningKeys()).toEqual(keys);
      });

      // Regression: keys made in the same second must come back in creation order, or the key
      // ring's "newest key signs" picks the wrong one.
      it('keeps creation order for keys created in the same second', async () => {
        const keys = [keyRecord('kid-z', 100), keyRecord('kid-y', 100), keyRecord('kid-x', 100)];
        for (const key of keys) await store.addSigningKey(key);
        expect((await store.listSigningKeys()).map((k) => k.kid)).toEqual(['kid-z', 'kid-y', 'kid-x']);
      });

      it('retires any key but the newest of its algorithm (the signing one); an unknown kid is not found', async () => {
        const keys = [keyRecord('kid-1', 100), keyRecord('kid-2', 100), keyRecord('kid-3', 200)];
        for (const key of keys) await store.addSigningKey(key);
        await store.addSigningKey({ ...keyRecord('mac-1', 300), alg: 'HS256' });
        await expect(store.retireSigningKey('kid-3')).rejects.toMatchObject({ code: 'ERR_FAILED_PRECONDITION' });
        await expect(store.retireSigningKey('kid-9')).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
        const seen = nextTopic(store, 'keys');
        await store.retireSigningKey('kid-1');
        await expect(seen).resolves.toBe('keys');
        await store.retireSigningKey('kid-2');
        await expect(store.retireSigningKey('kid-3')).rejects.toMatchObject({ code: 'ERR_FAILED_PRECONDITION' });
        expect((await store.listSigningKeys()).map((k) => k.kid)).toEqual(['kid-3', 'mac-1']);
      });

      it('replaces a key only while its stored private part is the one expected', async () => {
        const key = keyRecord('kid-1', 100);
        await store.addSigningKey(key);
        const sealed = { ...key, privateKeyPem: 'enc:v1:abc:def', createdAt: 150 };
        expect(await store.replaceSigningKey('kid-1', 'stale', sealed)).toBe(false);
        expect(await store.replaceSigningKey('kid-9', key.privateKeyPem, sealed)).toBe(false);
        expect(await store.listSigningKeys()).toEqual([key]);
        const seen = nextTopic(store, 'keys');
        expect(await store.replaceSigningKey('kid-1', key.privateKeyPem, sealed)).toBe(true);
        await expect(seen).resolves.toBe('keys');
        expect(await store.listSigningKeys()).toEqual([sealed]);
      });
    });

    describe('change events', () => {
      const writes: [StoreTopic, string, (s: Store) => Promise<void>][] = [
        ['tenants', 'addTenants', (s) => s.addTenants([{ tenantId: 'initech', gatewayIds: [] }])],
        ['tenants', 'deleteTenants', (s) => s.deleteTenants(['globex'])],
        ['tenants', 'addGateways', (s) => s.addGateways('acme', ['gw-a9'])],
        ['tenants', 'deleteGateways', (s) => s.deleteGateways([{ gatewayId: 'gw-a1', tenantId: 'acme' }])],
        ['certificates', 'recordCertificate', (s) => s.recordCertificate(certRecord())],
        ['blacklist', 'addBlacklist', (s) => s.addBlacklist([{ serial: 5n, tenantId: 'acme', gatewayId: null, addedAt: 1 }])],
        ['blacklist', 'removeBlacklist', (s) => s.removeBlacklist([5n])],
        ['tokens', 'revokeToken', (s) => s.revokeToken({ jti: 'j-1', expiresAt: 2_000_000_000 })],
        ['keys', 'addSigningKey', (s) => s.addSigningKey(keyRecord('kid-event', 1))],
      ];

      it.each(writes)('fires "%s" after %s', async (topic, _method, write) => {
        await seed();
        const seen = nextTopic(store, topic);
        await write(store);
        await expect(seen).resolves.toBe(topic);
      });

      it('stops calling a listener once it unsubscribed', async () => {
        const late: StoreTopic[] = [];
        const unsubscribe = store.onChange((topic) => late.push(topic));
        unsubscribe();
        // A listener still subscribed proves the event was delivered; the removed one must have missed it.
        const seen = nextTopic(store, 'tenants');
        await store.addTenants([{ tenantId: 'initech', gatewayIds: [] }]);
        await seen;
        expect(late).toEqual([]);
      });
    });

    describe('identity', () => describeIdentityContract(() => store));

    describe('identity purge', () => describeIdentityPurgeContract(() => store));
    describe('audit purge', () => describeAuditPurgeContract(() => store));
    describe('audit query', () => describeAuditQueryContract(() => store));

    describe('challenge sessions', () => describeChallengeContract(() => store));

    it('keeps the data across close and reopen', async () => {
      if (!h.reopen) return; // a backend without persistence has nothing to check here
      await seed();
      await store.recordCertificate(certRecord({ serial: MAX_SERIAL }));
      await store.addBlacklist([{ serial: MAX_SERIAL, tenantId: 'acme', gatewayId: null, addedAt: 1 }]);
      await store.revokeToken({ jti: 'j-keep', expiresAt: 2_000_000_000 });
      await store.addSigningKey(keyRecord('kid-keep', 1));
      const before = await snapshot(store);
      await store.close();
      const again = await h.reopen();
      try {
        expect(await snapshot(again)).toEqual(before);
        expect(before.tenantIds).toEqual(['acme', 'administrator', 'globex']);
      } finally {
        await again.close();
      }
    });

    it('writes the audit events recorded before close, and answers their callers', async () => {
      if (!h.reopen) return;
      const event = (i: number): AuditEvent => ({ at: 1_750_000_000_000 + i, event: 'refresh', outcome: 'success', dialect: 'datarhei', username: `u${i}`, tenantId: null, address: null, detail: null });
      // Not awaited: close must write them first (group commit holds them for a moment).
      const recorded = Promise.all(Array.from({ length: 40 }, (_v, i) => store.recordAudit(event(i))));
      await store.close();
      await expect(recorded).resolves.toBeDefined();
      const again = await h.reopen();
      try {
        expect(await again.listAudit(100)).toEqual(Array.from({ length: 40 }, (_v, i) => event(39 - i)));
      } finally {
        await again.close();
      }
    });

    it('lets exactly one of two concurrent addTenants of the same new ID succeed', async () => {
      const results = await Promise.allSettled([
        store.addTenants([{ tenantId: 'racer', gatewayIds: ['gw-r1'] }]),
        store.addTenants([{ tenantId: 'racer', gatewayIds: ['gw-r2'] }]),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(failed).toHaveLength(1);
      expect(failed[0].reason).toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
      expect((await store.listTenants()).filter((id) => id === 'racer')).toHaveLength(1);
      expect(await store.listGateways('racer')).toHaveLength(1);
    });
  });
}

/**
 * The administrative operations as createAdmin composes them for the server and the CLI: the rules
 * that used to sit in the doors (the CLI's blacklist commands and role names, the Tenant API's
 * certificate issuing and empty lists) answer with their error codes here.
 */
import { createAdmin, Admin } from '../../../src/core/create-admin';
import { createDirectory, Directory } from '../../../src/core/directory';
import { EMPTY_NAME } from '../../../src/pki/profile';
import { CertificateRecord } from '../../../src/store/store';
import { countingStore, CountingStore } from '../../support/counting-store';
import { makeTestPki, TestPki } from '../../support/pki';

let now = 1_800_000_000_000;
const clock = () => now;
let s: CountingStore;
let directory: Directory;
let admin: Admin;
let pki: TestPki;

const record = (serial: bigint, kind: CertificateRecord['kind'], tenantId: string | null, gatewayId: string | null): CertificateRecord => ({
  serial,
  kind,
  tenantId,
  gatewayId,
  subject: EMPTY_NAME,
  issuedAt: 1,
  expiresAt: 2,
  fingerprint: serial.toString(16).padStart(64, '0'),
  blacklisted: false,
});
const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (err: { code?: string }) => err.code);

beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.cleanup());

beforeEach(async () => {
  s = countingStore();
  await s.store.addTenants([
    { tenantId: 'acme', gatewayIds: ['gw-1'] },
    { tenantId: 'globex', gatewayIds: [] },
  ]);
  await s.store.recordCertificate(record(11n, 'tenant', 'acme', null));
  await s.store.recordCertificate(record(12n, 'gateway', 'acme', 'gw-1'));
  await s.store.recordCertificate(record(13n, 'ca', null, null));
  directory = await createDirectory(s.store, clock);
  admin = createAdmin({ store: s.store, clock, directory, authority: pki.ca });
});
afterEach(() => s.store.close());

describe('the operator\'s blacklist (the CLI)', () => {
  it('a recorded certificate is blacklisted for its recorded owner, whoever is named, and is in force at once', async () => {
    expect(await admin.certificates.blacklistSerial(12n, { tenantId: 'globex', gatewayId: null })).toEqual({ tenantId: 'acme', gatewayId: 'gw-1' });
    expect(directory.isBlacklisted(12n)).toBe(true);
    expect(await s.store.listBlacklist()).toEqual([expect.objectContaining({ serial: 12n, tenantId: 'acme', gatewayId: 'gw-1' })]);
  });

  it('a certificate the gateway did not issue needs its owner named (ERR_INVALID_ARGUMENT without one)', async () => {
    expect(await codeOf(admin.certificates.blacklistSerial(99n))).toBe('ERR_INVALID_ARGUMENT');
    expect(await admin.certificates.blacklistSerial(99n, { tenantId: 'acme', gatewayId: 'gw-x' })).toEqual({ tenantId: 'acme', gatewayId: 'gw-x' });
    // A record without an owner (the CA's) takes the tenant named and keeps its own gateway (none).
    expect(await admin.certificates.blacklistSerial(13n, { tenantId: 'acme', gatewayId: 'gw-x' })).toEqual({ tenantId: 'acme', gatewayId: null });
  });

  it('unblacklisting: a serial neither recorded nor blacklisted is ERR_CERT_NOT_FOUND; a blacklisted one made elsewhere comes off', async () => {
    expect(await codeOf(admin.certificates.unblacklistSerial(99n))).toBe('ERR_CERT_NOT_FOUND');
    await admin.certificates.blacklistSerial(99n, { tenantId: 'acme', gatewayId: null });
    await admin.certificates.unblacklistSerial(99n);
    expect(directory.isBlacklisted(99n)).toBe(false);
    expect(await s.store.listBlacklist()).toEqual([]);
  });
});

describe('tenant certificates (Tenant API)', () => {
  it('issuing needs a registered tenant; the administrator tenant gets an administrator certificate', async () => {
    expect(await codeOf(admin.tenants.issueCertificate('ghost', EMPTY_NAME, 1))).toBe('ERR_TENANT_NOT_FOUND');
    const issued = await admin.tenants.issueCertificate('administrator', EMPTY_NAME, 1);
    expect((await s.store.findCertificate(issued.serial))?.kind).toBe('admin');
  });

  it('an empty list means every tenant; an unknown one is ERR_TENANT_NOT_FOUND', async () => {
    expect((await admin.tenants.certificates([], false)).map((t) => [t.tenantId, t.records.map((r) => r.serial)])).toEqual([
      ['acme', [11n]],
      ['administrator', []],
      ['globex', []],
    ]);
    expect(await codeOf(admin.tenants.certificates(['acme', 'ghost'], false))).toBe('ERR_TENANT_NOT_FOUND');
  });
});

describe('roles', () => {
  it('a bad name is ERR_INVALID_ARGUMENT; replacing a role keeps its creation time', async () => {
    expect(await codeOf(admin.roles.set('bad name', {}))).toBe('ERR_INVALID_ARGUMENT');
    await admin.roles.set('operator', { Devices: ['view'] });
    now += 60_000;
    await admin.roles.set('operator', { Devices: ['view', 'edit'] });
    expect((await admin.roles.list()).find((r) => r.name === 'operator')).toEqual({ name: 'operator', permissions: { Devices: ['view', 'edit'] }, createdAt: now - 60_000, updatedAt: now });
    await admin.roles.delete('operator');
    expect(await codeOf(admin.roles.delete('operator'))).toBe('ERR_ROLE_NOT_FOUND');
  });
});

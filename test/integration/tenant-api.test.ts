import { PKCS8_FIRST_LINE } from '../support/pki';
import { status } from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spyOnStore } from '../support/store-spy';
import { closeAllClients, codeOf } from '../support/clients';
import { ApiSession, openSession } from '../support/admin-session';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
let admin: ApiSession;

beforeAll(async () => {
  gw = await startTestGateway();
  admin = await openSession(gw, gw.pki.admin);
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

const code = async (p: Promise<unknown>) => (await codeOf(p)).code;

describe('Tenant API', () => {
  it('adds, lists, gets and deletes tenants with their gateways', async () => {
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 't1', gatewayIDs: ['t1-g1', 't1-g2'] }, { tenantID: 't2', gatewayIDs: [] }] });
    expect(await admin.call('tenant', 'getList')).toEqual({ tenantIDs: ['administrator', 't1', 't2'] });
    expect(await admin.call('tenant', 'get', { tenantIDs: ['t2', 't1'] })).toEqual({
      tenantInfos: [{ tenantID: 't2', gatewayIDs: [] }, { tenantID: 't1', gatewayIDs: ['t1-g1', 't1-g2'] }],
    });
    await admin.call('tenant', 'addGateway', { tenantID: 't2', gatewayIDs: ['t2-g1'] });
    await admin.call('tenant', 'deleteGateway', { tenantID: 't1', gatewayIDs: ['t1-g2'] });
    expect(await admin.call('tenant', 'get', { tenantIDs: ['t1', 't2'] })).toEqual({
      tenantInfos: [{ tenantID: 't1', gatewayIDs: ['t1-g1'] }, { tenantID: 't2', gatewayIDs: ['t2-g1'] }],
    });
    await admin.call('tenant', 'delete', { tenantIDs: ['t1', 't2'] });
    expect(await admin.call('tenant', 'getList')).toEqual({ tenantIDs: ['administrator'] });
    expect(gw.gateway.core.directory.gatewayOwner('t1-g1')).toBeUndefined();
  });

  it('Get of an unknown tenant is NOT_FOUND; malformed IDs are INVALID_ARGUMENT', async () => {
    expect(await code(admin.call('tenant', 'get', { tenantIDs: ['administrator', 'ghost'] }))).toBe(status.NOT_FOUND);
    expect(await code(admin.call('tenant', 'get', { tenantIDs: ['bad id'] }))).toBe(status.INVALID_ARGUMENT);
    expect(await code(admin.call('tenant', 'get', { tenantIDs: [] }))).toBe(status.INVALID_ARGUMENT);
    expect(await code(admin.call('tenant', 'get', { tenantIDs: Array.from({ length: 1001 }, (_, i) => `t${i}`) }))).toBe(status.INVALID_ARGUMENT);
  });

  it('Add of an existing ID is ALREADY_EXISTS and adds nothing of the batch', async () => {
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'exists', gatewayIDs: ['exists-g'] }] });
    const batch = [{ tenantID: 'fresh', gatewayIDs: ['fresh-g'] }, { tenantID: 'exists', gatewayIDs: [] }];
    expect(await code(admin.call('tenant', 'add', { tenantInfos: batch }))).toBe(status.ALREADY_EXISTS);
    const taken = [{ tenantID: 'fresh', gatewayIDs: ['exists-g'] }];
    expect(await code(admin.call('tenant', 'add', { tenantInfos: taken }))).toBe(status.ALREADY_EXISTS);
    expect((await admin.call<{ tenantIDs: string[] }>('tenant', 'getList')).tenantIDs).not.toContain('fresh');
    expect(gw.gateway.core.directory.gatewayOwner('fresh-g')).toBeUndefined();
    expect(gw.gateway.core.directory.gatewayOwner('exists-g')).toBe('exists');
  });

  it('Delete("administrator") is FAILED_PRECONDITION; deleting an unknown tenant is NOT_FOUND and deletes nothing', async () => {
    expect(await code(admin.call('tenant', 'delete', { tenantIDs: ['administrator'] }))).toBe(status.FAILED_PRECONDITION);
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'keep', gatewayIDs: [] }] });
    expect(await code(admin.call('tenant', 'delete', { tenantIDs: ['keep', 'ghost'] }))).toBe(status.NOT_FOUND);
    expect((await admin.call<{ tenantIDs: string[] }>('tenant', 'getList')).tenantIDs).toContain('keep');
  });

  it('deleting a tenant stops its outstanding tokens', async () => {
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'gone', gatewayIDs: ['gone-g'] }] });
    const tenant = await openSession(gw, gw.pki.tenant('gone'));
    expect(await tenant.call('gateway', 'getList')).toEqual({ gatewayIDs: ['gone-g'] });
    await admin.call('tenant', 'delete', { tenantIDs: ['gone'] });
    expect(await code(tenant.call('gateway', 'getList'))).toBe(status.UNAUTHENTICATED);
  });

  it('a deleted tenant ID added again does not revive the old tenant\'s certificates', async () => {
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'reborn', gatewayIDs: [] }] });
    const old = await admin.call<{ tenantCert: string; tenantKey: string }>('tenant', 'createCertificate', { tenantID: 'reborn', expireAfterYears: 1 });
    const pair = { certPem: old.tenantCert, keyPem: old.tenantKey, serial: 0n };
    expect((await openSession(gw, pair)).token).toBeTruthy();
    await admin.call('tenant', 'delete', { tenantIDs: ['reborn'] });
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'reborn', gatewayIDs: [] }] });
    // Still blacklisted: it does not get past the TLS handshake.
    expect(gw.gateway.core.directory.isBlacklisted(BigInt(`0x${new X509Certificate(old.tenantCert).serialNumber}`))).toBe(true);
    expect((await codeOf(openSession(gw, pair))).code).toBe(status.UNAVAILABLE);
  });

  it('two clients adding the same tenant at once: exactly one succeeds', async () => {
    const other = await openSession(gw, gw.pki.admin);
    const results = await Promise.allSettled([
      admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'race', gatewayIDs: [] }] }),
      other.call('tenant', 'add', { tenantInfos: [{ tenantID: 'race', gatewayIDs: [] }] }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.code).toBe(status.ALREADY_EXISTS);
  });
});

describe('certificate lifecycle through the Tenant API', () => {
  let cert = '';
  let key = '';
  beforeAll(async () => {
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'acme', gatewayIDs: [] }] });
    const subject = { country: 'KR', province: 'Gyeonggi', city: 'Seongnam', organization: 'Acme', organizationUnit: 'Ops', commonName: 'acme-app' };
    const res = await admin.call<{ tenantCert: string; tenantKey: string }>('tenant', 'createCertificate', { tenantID: 'acme', subject, expireAfterYears: 0 });
    cert = res.tenantCert;
    key = res.tenantKey;
  });

  it('CreateCertificate returns a certificate of the profile and a PKCS#8 key, and never stores the key', () => {
    const x = new X509Certificate(cert);
    expect(x.subjectAltName).toBe('email:Tenant Certificate, email:acme');
    expect(x.subject).toBe('C=KR\nST=Gyeonggi\nL=Seongnam\nO=Acme\nOU=Ops\nCN=acme-app');
    expect(x.verify(new X509Certificate(gw.pki.caPem).publicKey)).toBe(true);
    const years = (Date.parse(x.validTo) - Date.now()) / (365.25 * 86_400_000);
    expect(Math.round(years)).toBe(5);
    expect(key.startsWith(PKCS8_FIRST_LINE)).toBe(true);
    const db = readFileSync(join(gw.pki.dir, 'data', 'gateway.db')).toString('latin1') + readFileSync(join(gw.pki.dir, 'data', 'gateway.db-wal')).toString('latin1');
    expect(db).not.toContain(key.split('\n')[3]);
  });

  it('the new certificate logs in, appears in the issuance history with Unix-second dates', async () => {
    const session = await openSession(gw, { certPem: cert, keyPem: key, serial: 0n });
    expect(session.token).toBeTruthy();
    const serial = BigInt(`0x${new X509Certificate(cert).serialNumber}`);
    const { certInfos } = await admin.call<{ certInfos: { tenantID: string; serialNO: bigint; issueDate: bigint; expiryDate: bigint; blacklisted: boolean }[] }>('tenant', 'getIssuanceHistory', { tenantIDs: ['acme'] });
    const info = certInfos.find((c) => c.serialNO === serial)!;
    expect(info).toMatchObject({ tenantID: 'acme', blacklisted: false });
    expect(Number(info.issueDate)).toBe(Math.floor(Date.parse(new X509Certificate(cert).validFrom) / 1000));
    expect(Number(info.expiryDate)).toBe(Math.floor(Date.parse(new X509Certificate(cert).validTo) / 1000));
  });

  it('blacklisting takes effect at once: no new connection, the bound token fails on a live one; unblacklisting restores both', async () => {
    const pair = { certPem: cert, keyPem: key, serial: 0n };
    const session = await openSession(gw, pair);
    expect(await session.call('login', 'logout', {}).then(() => 'ok')).toBe('ok');
    const live = await openSession(gw, pair);
    expect(await live.call('gateway', 'getList')).toEqual({ gatewayIDs: [] });
    const serial = BigInt(`0x${new X509Certificate(cert).serialNumber}`);
    await admin.call('tenant', 'addCertificateBlacklist', { tenantID: 'acme', serialNOs: [serial] });
    expect(await code(live.call('gateway', 'getList'))).toBe(status.UNAUTHENTICATED);
    expect(await code(openSession(gw, pair))).toBe(status.UNAVAILABLE);
    const { certInfos } = await admin.call<{ certInfos: { serialNO: bigint; blacklisted: boolean }[] }>('tenant', 'getCertificateBlacklist', { tenantIDs: ['acme'] });
    expect(certInfos.map((c) => [c.serialNO, c.blacklisted])).toEqual([[serial, true]]);
    await admin.call('tenant', 'deleteCertificateBlacklist', { tenantID: 'acme', serialNOs: [serial] });
    expect(await live.call('gateway', 'getList')).toEqual({ gatewayIDs: [] });
  });

  it('the history of several tenants comes in the order asked, each certificate under its own tenant, from one store query', async () => {
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'hist-b', gatewayIDs: [] }, { tenantID: 'hist-a', gatewayIDs: [] }] });
    const issued = [];
    for (const tenantID of ['hist-a', 'hist-b', 'hist-a']) {
      const { tenantCert } = await admin.call<{ tenantCert: string }>('tenant', 'createCertificate', { tenantID, expireAfterYears: 1 });
      issued.push({ tenantID, serial: BigInt(`0x${new X509Certificate(tenantCert).serialNumber}`) });
    }
    const queries = spyOnStore(gw.gateway.core.store, 'listCertificates');
    try {
      const { certInfos } = await admin.call<{ certInfos: { tenantID: string; serialNO: bigint }[] }>('tenant', 'getIssuanceHistory', { tenantIDs: ['hist-b', 'hist-a'] });
      expect(queries).toHaveBeenCalledTimes(1);
      expect(certInfos.map((c) => c.tenantID)).toEqual(['hist-b', 'hist-a', 'hist-a']);
      expect(new Set(certInfos.map((c) => `${c.tenantID}/${c.serialNO}`))).toEqual(new Set(issued.map((c) => `${c.tenantID}/${c.serial}`)));
    } finally {
      queries.mockRestore();
    }
  });

  it('serials of another owner, unknown serials and bad years are refused and change nothing', async () => {
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'other', gatewayIDs: [] }] });
    const serial = BigInt(`0x${new X509Certificate(cert).serialNumber}`);
    expect(await code(admin.call('tenant', 'addCertificateBlacklist', { tenantID: 'other', serialNOs: [serial] }))).toBe(status.NOT_FOUND);
    expect(await code(admin.call('tenant', 'addCertificateBlacklist', { tenantID: 'acme', serialNOs: [12345n] }))).toBe(status.NOT_FOUND);
    expect(await code(admin.call('tenant', 'addCertificateBlacklist', { tenantID: 'acme', serialNOs: [-5n] }))).toBe(status.INVALID_ARGUMENT);
    expect(gw.gateway.core.directory.isBlacklisted(serial)).toBe(false);
    for (const years of [21, -1]) {
      expect(await code(admin.call('tenant', 'createCertificate', { tenantID: 'acme', expireAfterYears: years }))).toBe(status.INVALID_ARGUMENT);
    }
    expect(await code(admin.call('tenant', 'createCertificate', { tenantID: 'acme', expireAfterYears: 1, subject: { country: 'Korea', province: '', city: '', organization: '', organizationUnit: '', commonName: '' } }))).toBe(status.INVALID_ARGUMENT);
    expect(await code(admin.call('tenant', 'createCertificate', { tenantID: 'ghost', expireAfterYears: 1 }))).toBe(status.NOT_FOUND);
  });
});

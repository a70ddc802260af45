import { status } from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { spyOnStore } from '../support/store-spy';
import { closeAllClients, codeOf } from '../support/clients';
import { ApiSession, openSession } from '../support/admin-session';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
let acme: ApiSession;
let globex: ApiSession;
let admin: ApiSession;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme', gatewayIds: ['acme-1'] }, { tenantId: 'globex', gatewayIds: ['globex-1'] }] });
  [acme, globex, admin] = await Promise.all([openSession(gw, gw.pki.tenant('acme')), openSession(gw, gw.pki.tenant('globex')), openSession(gw, gw.pki.admin)]);
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

const code = async (p: Promise<unknown>) => (await codeOf(p)).code;

it('a tenant adds, lists, gets and deletes its own gateways', async () => {
  // Listed twice first: the answer to an unchanged list is kept (encoded once), and must not outlive a change.
  expect(await acme.call('gateway', 'getList')).toEqual({ gatewayIDs: ['acme-1'] });
  expect(await acme.call('gateway', 'getList')).toEqual({ gatewayIDs: ['acme-1'] });
  await acme.call('gateway', 'add', { gatewayIDs: ['acme-2', 'acme-3'] });
  expect(await acme.call('gateway', 'getList')).toEqual({ gatewayIDs: ['acme-1', 'acme-2', 'acme-3'] });
  expect(await acme.call('gateway', 'get', { gatewayIDs: ['acme-3'] })).toEqual({ gatewayInfos: [{ gatewayID: 'acme-3', deviceIDs: [], isConnected: false }] });
  await acme.call('gateway', 'delete', { gatewayIDs: ['acme-3'] });
  expect(await acme.call('gateway', 'getList')).toEqual({ gatewayIDs: ['acme-1', 'acme-2'] });
});

it('another tenant\'s gateway is NOT_FOUND for every call, exactly like a gateway that does not exist', async () => {
  for (const id of ['acme-1', 'no-such-gateway']) {
    const errors = await Promise.all([
      codeOf(globex.call('gateway', 'get', { gatewayIDs: [id] })),
      codeOf(globex.call('gateway', 'delete', { gatewayIDs: [id] })),
      codeOf(globex.call('gateway', 'createCertificate', { gatewayID: id, expireAfterYears: 0 })),
      codeOf(globex.call('gateway', 'getIssuanceHistory', { gatewayIDs: [id] })),
      codeOf(globex.call('gateway', 'addCertificateBlacklist', { gatewayID: id, serialNOs: [1n] })),
    ]);
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill(status.NOT_FOUND));
    expect(errors.map((e) => e.details.replace(id, 'ID'))).toEqual(Array(5).fill('gateway ID does not exist'));
  }
  expect(gw.gateway.core.directory.gatewayOwner('acme-1')).toBe('acme');
});

it('a gateway ID belongs to at most one tenant', async () => {
  expect(await code(globex.call('gateway', 'add', { gatewayIDs: ['acme-1'] }))).toBe(status.ALREADY_EXISTS);
  expect(await code(acme.call('gateway', 'add', { gatewayIDs: ['new-x', 'globex-1'] }))).toBe(status.ALREADY_EXISTS);
  expect(gw.gateway.core.directory.gatewayOwner('new-x')).toBeUndefined();
});

it('the administrator\'s own token reaches every gateway; acting as a tenant, only that tenant\'s', async () => {
  expect((await admin.call<{ gatewayIDs: string[] }>('gateway', 'getList')).gatewayIDs).toEqual(expect.arrayContaining(['acme-1', 'globex-1']));
  const asGlobex = await openSession(gw, gw.pki.admin, 'globex');
  expect(await asGlobex.call('gateway', 'getList')).toEqual({ gatewayIDs: ['globex-1'] });
  expect(await code(asGlobex.call('gateway', 'get', { gatewayIDs: ['acme-1'] }))).toBe(status.NOT_FOUND);
});

it('the administrator deletes gateways of several tenants in one all-or-nothing store write', async () => {
  await admin.call('tenant', 'addGateway', { tenantID: 'acme', gatewayIDs: ['acme-x'] });
  await admin.call('tenant', 'addGateway', { tenantID: 'globex', gatewayIDs: ['globex-x'] });
  const writes = spyOnStore(gw.gateway.core.store, 'deleteGateways');
  try {
    expect(await code(admin.call('gateway', 'delete', { gatewayIDs: ['acme-x', 'globex-x', 'no-such-gateway'] }))).toBe(status.NOT_FOUND);
    expect(writes).not.toHaveBeenCalled();
    await admin.call('gateway', 'delete', { gatewayIDs: ['acme-x', 'globex-x'] });
    expect(writes).toHaveBeenCalledTimes(1);
    expect(writes.mock.calls[0][0]).toEqual([
      { gatewayId: 'acme-x', tenantId: 'acme' },
      { gatewayId: 'globex-x', tenantId: 'globex' },
    ]);
  } finally {
    writes.mockRestore();
  }
  expect(await acme.call('gateway', 'getList')).not.toEqual(expect.objectContaining({ gatewayIDs: expect.arrayContaining(['acme-x']) }));
  expect(await globex.call('gateway', 'getList')).toEqual({ gatewayIDs: ['globex-1'] });
});

it('CreateCertificate issues a gateway certificate that subscribes; its history and blacklist are per gateway', async () => {
  const res = await acme.call<{ gatewayCert: string; gatewayKey: string }>('gateway', 'createCertificate', { gatewayID: 'acme-1', expireAfterYears: 2, subject: { country: '', province: '', city: '', organization: 'Acme', organizationUnit: '', commonName: 'gw' } });
  const cert = new X509Certificate(res.gatewayCert);
  expect(cert.subjectAltName).toBe('email:Gateway Certificate, email:acme, email:acme-1');
  const serial = BigInt(`0x${cert.serialNumber}`);
  const history = await acme.call<{ certInfos: { gatewayID: string; serialNO: bigint }[] }>('gateway', 'getIssuanceHistory', { gatewayIDs: ['acme-1'] });
  expect(history.certInfos.map((c) => [c.gatewayID, c.serialNO])).toEqual([['acme-1', serial]]);
  expect(await code(globex.call('gateway', 'deleteCertificateBlacklist', { gatewayID: 'globex-1', serialNOs: [serial] }))).toBe(status.NOT_FOUND);
  await acme.call('gateway', 'addCertificateBlacklist', { gatewayID: 'acme-1', serialNOs: [serial] });
  expect(await acme.call('gateway', 'getCertificateBlacklist', { gatewayIDs: [] })).toMatchObject({ certInfos: [{ gatewayID: 'acme-1', serialNO: serial, blacklisted: true }] });
});

it('rejects malformed requests with INVALID_ARGUMENT', async () => {
  expect(await code(acme.call('gateway', 'add', { gatewayIDs: [] }))).toBe(status.INVALID_ARGUMENT);
  expect(await code(acme.call('gateway', 'add', { gatewayIDs: ['a/b'] }))).toBe(status.INVALID_ARGUMENT);
  expect(await code(acme.call('gateway', 'add', { gatewayIDs: ['dup', 'dup'] }))).toBe(status.INVALID_ARGUMENT);
  expect(await code(acme.call('gateway', 'createCertificate', { gatewayID: 'acme-1', expireAfterYears: 40 }))).toBe(status.INVALID_ARGUMENT);
});

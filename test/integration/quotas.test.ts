/** Per-tenant bounds over real gRPC: gateway registrations and certificate issuance. */
import { status } from '@grpc/grpc-js';
import { closeAllClients, codeOf } from '../support/clients';
import { ApiSession, openSession } from '../support/admin-session';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
let acme: ApiSession;
let globex: ApiSession;
let admin: ApiSession;

beforeAll(async () => {
  gw = await startTestGateway({
    tenants: [{ tenantId: 'acme', gatewayIds: ['acme-1'] }, { tenantId: 'globex' }],
    config: { maxGatewaysPerTenant: 4, certificatesPerMinute: 3 },
  });
  [acme, globex, admin] = await Promise.all([openSession(gw, gw.pki.tenant('acme')), openSession(gw, gw.pki.tenant('globex')), openSession(gw, gw.pki.admin)]);
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

const outcome = (p: Promise<unknown>) => p.then(() => status.OK, (e: { code: status }) => e.code);
const list = async (s: ApiSession) => (await s.call<{ gatewayIDs?: string[] }>('gateway', 'getList')).gatewayIDs ?? [];

describe('gateways per tenant', () => {
  it('refuses a batch that would pass the quota with RESOURCE_EXHAUSTED, and adds none of it', async () => {
    await acme.call('gateway', 'add', { gatewayIDs: ['acme-2', 'acme-3'] });
    const err = await codeOf(acme.call('gateway', 'add', { gatewayIDs: ['acme-4', 'acme-5'] }));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/limit of 4/);
    expect(await list(acme)).toEqual(['acme-1', 'acme-2', 'acme-3']);
    expect(gw.gateway.core.directory.gatewayOwner('acme-4')).toBeUndefined();
    expect((await gw.gateway.core.store.listGateways('acme')).map((g) => g.gatewayId)).toEqual(['acme-1', 'acme-2', 'acme-3']);
    // Up to the quota is fine; another tenant has its own.
    await acme.call('gateway', 'add', { gatewayIDs: ['acme-4'] });
    await globex.call('gateway', 'add', { gatewayIDs: ['globex-1', 'globex-2', 'globex-3', 'globex-4'] });
    // Deleting makes room again.
    await acme.call('gateway', 'delete', { gatewayIDs: ['acme-4'] });
    await acme.call('gateway', 'add', { gatewayIDs: ['acme-4b'] });
    expect(await list(acme)).toEqual(['acme-1', 'acme-2', 'acme-3', 'acme-4b']);
  });

  it('parallel adds cannot pass the quota together', async () => {
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'initech', gatewayIDs: [] }] });
    const initech = await openSession(gw, gw.pki.tenant('initech'));
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => outcome(initech.call('gateway', 'add', { gatewayIDs: [`initech-${i}`] }))));
    expect(results.filter((c) => c === status.OK)).toHaveLength(4);
    expect(results.filter((c) => c === status.RESOURCE_EXHAUSTED)).toHaveLength(4);
    expect(await list(initech)).toHaveLength(4);
    expect(await gw.gateway.core.store.listGateways('initech')).toHaveLength(4);
  });

  it('binds the administrator too: Tenant.AddGateway and Tenant.Add with too many gateways', async () => {
    expect((await codeOf(admin.call('tenant', 'addGateway', { tenantID: 'acme', gatewayIDs: ['acme-9'] }))).code).toBe(status.RESOURCE_EXHAUSTED);
    const five = ['u-1', 'u-2', 'u-3', 'u-4', 'u-5'];
    expect((await codeOf(admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'umbrella', gatewayIDs: five }] }))).code).toBe(status.RESOURCE_EXHAUSTED);
    expect(await gw.gateway.core.store.hasTenant('umbrella')).toBe(false);
    expect(gw.gateway.core.directory.gatewayOwner('u-1')).toBeUndefined();
  });
});

describe('certificate issuance per tenant', () => {
  const issue = (s: ApiSession, gatewayID: string) => outcome(s.call('gateway', 'createCertificate', { gatewayID, expireAfterYears: 1 }));

  it('allows certificatesPerMinute, then RESOURCE_EXHAUSTED until the bucket refills; other tenants are not held up', async () => {
    const history = async () => (await gw.gateway.core.store.listCertificates({ tenantId: 'acme' })).length;
    const before = await history();
    expect(await Promise.all([issue(acme, 'acme-1'), issue(acme, 'acme-2'), issue(acme, 'acme-3')])).toEqual([status.OK, status.OK, status.OK]);
    const refused = await codeOf(acme.call('gateway', 'createCertificate', { gatewayID: 'acme-1', expireAfterYears: 1 }));
    expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(await history()).toBe(before + 3);
    expect(await issue(globex, 'globex-1')).toBe(status.OK);
    // 3 per minute: one more every 20 s.
    gw.clock.advance(20_000);
    expect(await issue(acme, 'acme-1')).toBe(status.OK);
    expect(await issue(acme, 'acme-1')).toBe(status.RESOURCE_EXHAUSTED);
  });
});

/**
 * Every rpc of Login, Tenant, Gateway and Master × every kind of caller, with the expected status
 * of each cell, and the data each allowed caller sees. No cell may leak another tenant's data.
 */
import * as grpc from '@grpc/grpc-js';
import { X509Certificate, createHash } from 'node:crypto';
import { createTokenService } from '../../src/core/tokens';
import { GatewayService } from '../../src/gen/gsdk/gateway/gateway';
import { LoginService } from '../../src/gen/gsdk/login/login';
import { CommandRequest, MasterService } from '../../src/gen/gsdk/master/master';
import { TenantService } from '../../src/gen/gsdk/tenant/tenant';
import { AnyClient, closeAllClients, makeClient, metadataWith, streamOpens, unary } from '../support/clients';
import { ClientPair } from '../support/pki';
import { startTestGateway, TestGateway } from '../support/gateway';

const { OK, UNAUTHENTICATED: U, PERMISSION_DENIED: P, NOT_FOUND: N, INVALID_ARGUMENT: I, FAILED_PRECONDITION: F } = grpc.status;

type CallerName = 'none' | 'expired' | 'revoked' | 'admin' | 'adminAsA' | 'tenantA' | 'tenantB' | 'gateway';
const CALLERS: CallerName[] = ['none', 'expired', 'revoked', 'admin', 'adminAsA', 'tenantA', 'tenantB', 'gateway'];

interface Caller {
  name: CallerName;
  pair: ClientPair;
  token?: string;
  clients: Record<'login' | 'tenant' | 'gateway' | 'master', AnyClient>;
}

let gw: TestGateway;
const callers = {} as Record<CallerName, Caller>;
let gatewaySession = 0;
let serialA = 0n; // a certificate of tenant-a, to blacklist and unblacklist
let serialGw = 0n; // a certificate of gateway a-gw, likewise

const thumb = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

beforeAll(async () => {
  const del = CALLERS.map((c) => ({ tenantId: `del-${c}` }));
  gw = await startTestGateway({
    tenants: [{ tenantId: 'tenant-a', gatewayIds: ['a-gw', ...CALLERS.map((c) => `a-del-${c}`), ...CALLERS.map((c) => `tgd-${c}`)] }, { tenantId: 'tenant-b', gatewayIds: ['b-gw'] }, ...del],
  });
  const { pki } = gw;
  const pairs: Record<CallerName, ClientPair> = {
    none: pki.tenant('tenant-a'),
    expired: pki.tenant('tenant-a'),
    revoked: pki.tenant('tenant-a'),
    admin: pki.admin,
    adminAsA: pki.admin,
    tenantA: pki.tenant('tenant-a'),
    tenantB: pki.tenant('tenant-b'),
    gateway: pki.gateway('tenant-a', 'a-gw'),
  };
  for (const name of CALLERS) {
    const pair = pairs[name];
    const make = <T extends grpc.ServiceDefinition>(d: T) => makeClient(d, gw.address, pki.caPem, pair);
    callers[name] = { name, pair, clients: { login: make(LoginService), tenant: make(TenantService), gateway: make(GatewayService), master: make(MasterService) } };
  }
  const login = async (c: Caller) => (await unary<{ jwtToken: string }>(c.clients.login, 'login', { tenantCert: c.pair.certPem })).jwtToken;
  for (const name of ['admin', 'tenantA', 'tenantB', 'revoked'] as const) callers[name].token = await login(callers[name]);
  callers.adminAsA.token = (await unary<{ jwtToken: string }>(callers.adminAsA.clients.login, 'loginAdmin', { adminTenantCert: pki.admin.certPem, tenantID: 'tenant-a' })).jwtToken;
  await unary(callers.revoked.clients.login, 'logout', {}, metadataWith(callers.revoked.token));
  // A correctly signed token for the expired caller's certificate, issued an hour ago with a 60 s lifetime.
  const past = createTokenService({ issuer: 'master-gateway', ttlSeconds: 60, clock: () => gw.clock.now - 3_600_000, keys: gw.gateway.core.keys });
  callers.expired.token = past.issue({ subject: 'tenant-a', tenantId: 'tenant-a', role: 'tenant', thumbprint: thumb(callers.expired.pair.certPem) });

  gatewaySession = (await unary<{ sessionID: number }>(callers.gateway.clients.master, 'subscribe', { gatewayCert: callers.gateway.pair.certPem })).sessionID;
  const store = gw.gateway.core.store;
  const a = gw.pki.tenant('tenant-a');
  const g = gw.pki.gateway('tenant-a', 'a-gw');
  for (const [pair, kind, gatewayId] of [[a, 'tenant', null], [g, 'gateway', 'a-gw']] as const) {
    const cert = new X509Certificate(pair.certPem);
    await store.recordCertificate({ serial: pair.serial, kind, tenantId: 'tenant-a', gatewayId, subject: { country: '', province: '', city: '', organization: '', organizationUnit: '', commonName: '' }, issuedAt: 1, expiresAt: 2, fingerprint: cert.fingerprint256 });
  }
  serialA = a.serial;
  serialGw = g.serial;
});

afterAll(async () => {
  closeAllClients();
  await gw.close();
});

/** One rpc: how to call it for a caller, and the expected status per caller. */
interface Row {
  rpc: string;
  call: (c: Caller) => Promise<grpc.status>;
  expect: Record<CallerName, grpc.status>;
  /** Checks on what an allowed caller got back. */
  check?: (c: Caller, response: unknown) => void;
}

const responses = new Map<string, unknown>();
function unaryStatus(service: keyof Caller['clients'], method: string, request: (c: Caller) => unknown, withToken = true) {
  return async (c: Caller) => {
    try {
      const res = await unary(c.clients[service], method, request(c), metadataWith(withToken ? c.token : undefined));
      responses.set(`${c.name}:${service}.${method}`, res);
      return OK;
    } catch (err) {
      return (err as grpc.ServiceError).code;
    }
  };
}

const row = (expect: CallerName[] | 'tokens' | 'admin', allowed: grpc.status, denied: grpc.status, overrides: Partial<Record<CallerName, grpc.status>> = {}) => {
  const ok: CallerName[] = expect === 'tokens' ? ['admin', 'adminAsA', 'tenantA', 'tenantB'] : expect === 'admin' ? ['admin'] : expect;
  const e = {} as Record<CallerName, grpc.status>;
  for (const c of CALLERS) e[c] = ok.includes(c) ? allowed : denied;
  return { ...e, ...overrides };
};
/** Tenant API: unauthenticated without a good token, PERMISSION_DENIED for every token but the administrator's own. */
const tenantApi = (status: grpc.status = OK) => row('admin', status, U, { adminAsA: P, tenantA: P, tenantB: P });
/** Gateway API on a gateway of tenant-a: tenant-b must see it as not existing. */
const gatewayOfA = () => row(['admin', 'adminAsA', 'tenantA'], OK, U, { tenantB: N });

const ROWS: Row[] = [
  { rpc: 'Login.Login', call: unaryStatus('login', 'login', (c) => ({ tenantCert: c.pair.certPem })), expect: row(CALLERS, OK, OK, { gateway: I }) },
  { rpc: 'Login.LoginAdmin', call: unaryStatus('login', 'loginAdmin', (c) => ({ adminTenantCert: c.pair.certPem, tenantID: 'tenant-a' })), expect: row(['admin', 'adminAsA'], OK, P) },

  { rpc: 'Tenant.GetList', call: unaryStatus('tenant', 'getList', () => ({})), expect: tenantApi() },
  { rpc: 'Tenant.Get', call: unaryStatus('tenant', 'get', () => ({ tenantIDs: ['tenant-a'] })), expect: tenantApi() },
  { rpc: 'Tenant.Add', call: unaryStatus('tenant', 'add', (c) => ({ tenantInfos: [{ tenantID: `new-${c.name}`, gatewayIDs: [] }] })), expect: tenantApi() },
  { rpc: 'Tenant.Delete', call: unaryStatus('tenant', 'delete', (c) => ({ tenantIDs: [`del-${c.name}`] })), expect: tenantApi() },
  { rpc: 'Tenant.AddGateway', call: unaryStatus('tenant', 'addGateway', (c) => ({ tenantID: 'tenant-a', gatewayIDs: [`tg-${c.name}`] })), expect: tenantApi() },
  { rpc: 'Tenant.DeleteGateway', call: unaryStatus('tenant', 'deleteGateway', (c) => ({ tenantID: 'tenant-a', gatewayIDs: [`tgd-${c.name}`] })), expect: tenantApi() },
  { rpc: 'Tenant.CreateCertificate', call: unaryStatus('tenant', 'createCertificate', () => ({ tenantID: 'tenant-a', expireAfterYears: 1 })), expect: tenantApi() },
  { rpc: 'Tenant.GetIssuanceHistory', call: unaryStatus('tenant', 'getIssuanceHistory', () => ({ tenantIDs: ['tenant-a'] })), expect: tenantApi() },
  { rpc: 'Tenant.GetCertificateBlacklist', call: unaryStatus('tenant', 'getCertificateBlacklist', () => ({ tenantIDs: ['tenant-a'] })), expect: tenantApi() },
  { rpc: 'Tenant.AddCertificateBlacklist', call: unaryStatus('tenant', 'addCertificateBlacklist', () => ({ tenantID: 'tenant-a', serialNOs: [serialA] })), expect: tenantApi() },
  { rpc: 'Tenant.DeleteCertificateBlacklist', call: unaryStatus('tenant', 'deleteCertificateBlacklist', () => ({ tenantID: 'tenant-a', serialNOs: [serialA] })), expect: tenantApi() },

  {
    rpc: 'Gateway.GetList',
    call: unaryStatus('gateway', 'getList', () => ({})),
    expect: row('tokens', OK, U),
    check: (c, res) => {
      const ids = (res as { gatewayIDs: string[] }).gatewayIDs;
      if (c.name === 'tenantB') expect(ids).toEqual(['b-gw']);
      if (c.name === 'tenantA' || c.name === 'adminAsA') expect(ids.every((id) => !id.startsWith('b-'))).toBe(true);
      if (c.name === 'admin') expect(ids).toEqual(expect.arrayContaining(['a-gw', 'b-gw']));
    },
  },
  {
    rpc: 'Gateway.Get',
    call: unaryStatus('gateway', 'get', () => ({ gatewayIDs: ['a-gw'] })),
    expect: gatewayOfA(),
    check: (_c, res) => expect((res as { gatewayInfos: unknown[] }).gatewayInfos).toEqual([{ gatewayID: 'a-gw', deviceIDs: [], isConnected: false }]),
  },
  { rpc: 'Gateway.Add', call: unaryStatus('gateway', 'add', (c) => ({ gatewayIDs: [`g-${c.name}`] })), expect: row('tokens', OK, U) },
  { rpc: 'Gateway.Delete', call: unaryStatus('gateway', 'delete', (c) => ({ gatewayIDs: [`a-del-${c.name}`] })), expect: gatewayOfA() },
  { rpc: 'Gateway.CreateCertificate', call: unaryStatus('gateway', 'createCertificate', () => ({ gatewayID: 'a-gw', expireAfterYears: 0 })), expect: gatewayOfA() },
  { rpc: 'Gateway.GetIssuanceHistory', call: unaryStatus('gateway', 'getIssuanceHistory', () => ({ gatewayIDs: ['a-gw'] })), expect: gatewayOfA() },
  { rpc: 'Gateway.GetCertificateBlacklist', call: unaryStatus('gateway', 'getCertificateBlacklist', () => ({ gatewayIDs: ['a-gw'] })), expect: gatewayOfA() },
  { rpc: 'Gateway.AddCertificateBlacklist', call: unaryStatus('gateway', 'addCertificateBlacklist', () => ({ gatewayID: 'a-gw', serialNOs: [serialGw] })), expect: gatewayOfA() },
  { rpc: 'Gateway.DeleteCertificateBlacklist', call: unaryStatus('gateway', 'deleteCertificateBlacklist', () => ({ gatewayID: 'a-gw', serialNOs: [serialGw] })), expect: gatewayOfA() },
  { rpc: 'Gateway.SubscribeStatus', call: (c) => streamOpens(c.clients.gateway, 'subscribeStatus', { queueSize: 0 }, metadataWith(c.token)), expect: row('tokens', OK, U) },

  { rpc: 'Master.Subscribe', call: unaryStatus('master', 'subscribe', (c) => ({ gatewayCert: c.pair.certPem }), false), expect: row(['gateway'], OK, P) },
  { rpc: 'Master.UpdateDeviceList', call: unaryStatus('master', 'updateDeviceList', () => ({ sessionID: gatewaySession, deviceIDs: [7, 3] }), false), expect: row(['gateway'], OK, N) },
  {
    rpc: 'Master.InitCommandChan',
    call: (c) =>
      new Promise((resolve) => {
        const stream = (c.clients.master.initCommandChan as () => grpc.ClientDuplexStream<unknown, CommandRequest>)();
        stream.on('data', () => {
          resolve(OK);
          stream.cancel();
        });
        stream.on('error', (e: grpc.ServiceError) => resolve(e.code === grpc.status.CANCELLED ? OK : e.code));
      }),
    expect: row(['gateway'], OK, F),
  },

  { rpc: 'Login.Logout', call: unaryStatus('login', 'logout', () => ({})), expect: row('tokens', OK, U) },
];

describe.each(ROWS.map((r) => [r.rpc, r] as const))('%s', (_rpc, r) => {
  it.each(CALLERS)('as %s', async (name) => {
    const c = callers[name];
    const status = await r.call(c);
    expect({ caller: name, status: grpc.status[status] }).toEqual({ caller: name, status: grpc.status[r.expect[name]] });
    if (status === OK && r.check) r.check(c, responses.get(`${name}:${r.rpc.replace('Gateway.', 'gateway.').replace(/\.(\w)/, (_m, x: string) => `.${x.toLowerCase()}`)}`));
  });
});

describe('refused cells changed nothing', () => {
  it('only the administrator added or deleted tenants and tenant gateways', async () => {
    const tenants = await gw.gateway.core.tenants.list();
    expect(tenants.filter((t) => t.startsWith('new-'))).toEqual(['new-admin']);
    expect(tenants.filter((t) => t.startsWith('del-')).sort()).toEqual(CALLERS.filter((c) => c !== 'admin').map((c) => `del-${c}`).sort());
    const aGateways = gw.gateway.core.directory.gatewayIds('tenant-a');
    expect(aGateways.filter((g) => g.startsWith('tg-'))).toEqual(['tg-admin']);
    expect(aGateways.filter((g) => g.startsWith('tgd-')).sort()).toEqual(CALLERS.filter((c) => c !== 'admin').map((c) => `tgd-${c}`).sort());
  });

  it('tenant-b deleted none of tenant-a\'s gateways; gateways were added to the caller\'s own tenant', () => {
    const { directory } = gw.gateway.core;
    expect(directory.gatewayOwner('a-del-tenantB')).toBe('tenant-a');
    for (const c of ['tenantA', 'adminAsA', 'admin']) expect(directory.gatewayOwner(`a-del-${c}`)).toBeUndefined();
    expect(directory.gatewayOwner('g-tenantA')).toBe('tenant-a');
    expect(directory.gatewayOwner('g-adminAsA')).toBe('tenant-a');
    expect(directory.gatewayOwner('g-tenantB')).toBe('tenant-b');
    expect(directory.gatewayOwner('g-admin')).toBe('administrator');
    expect(directory.gatewayOwner('g-none')).toBeUndefined();
  });

  it('the device list of the gateway session was recorded only from its own connection', () => {
    expect(gw.gateway.core.hub.deviceIds('a-gw')).toEqual([3, 7]);
  });
});

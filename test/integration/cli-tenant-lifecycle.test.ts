/**
 * Issue 10 §4: the CLI's `tenant delete` goes through the Tenant API's core operation. Deleting a
 * tenant with the CLI and adding the same ID again revives none of the old tenant's tokens (its
 * own or the administrator's LoginAdmin ones), its tenant certificate or its gateway certificates,
 * while a running gateway serves them.
 */
import { status } from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayService } from '../../src/gen/gsdk/gateway/gateway';
import { LoginAdminResponse, LoginResponse } from '../../src/gen/gsdk/login/login';
import { MasterService } from '../../src/gen/gsdk/master/master';
import { cli, serve, ServeProcess } from '../support/cli';
import { closeAllClients, codeOf, loginClient, makeClient, metadataWith, unary } from '../support/clients';

let root: string;
let certs: string;
let env: NodeJS.ProcessEnv;
let server: ServeProcess;

const read = (name: string) => readFileSync(join(certs, name), 'utf8');
const pair = (base: string) => ({ certPem: read(`${base}.crt`), keyPem: read(`${base}_key.pem`) });
const run = (args: string[]) => {
  const r = cli(args, env);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r;
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mgw-cli-lifecycle-'));
  certs = join(root, 'certs');
  env = { GATEWAY_CERT_DIR: certs, GATEWAY_DATA_DIR: join(root, 'data'), GATEWAY_LOG_LEVEL: 'info' };
  run(['certs', 'init', '--out', certs]);
  run(['tenant', 'add', 'acme', '--gateway', 'gw-1']);
  run(['certs', 'tenant', 'acme', '--out', certs, '--key', 'ec']);
  run(['certs', 'gateway', 'acme', 'gw-1', '--out', certs, '--key', 'ec']);
  server = await serve(env);
}, 60_000);

afterAll(async () => {
  closeAllClients();
  await server?.stop('SIGTERM');
  rmSync(root, { recursive: true, force: true });
});

/** Polls (the running server hears of CLI writes through the database) until `probe` answers `want`. */
async function until(probe: () => Promise<status>, want: status): Promise<status> {
  let got = await probe();
  for (let i = 0; i < 50 && got !== want; i++) {
    await new Promise((r) => setTimeout(r, 100));
    got = await probe();
  }
  return got;
}

const outcome = (call: Promise<unknown>) => call.then(() => status.OK, (e: { code: status }) => e.code);

it('CLI tenant delete + tenant add of the same ID: old tokens, tenant certificate and gateway certificate are all refused', async () => {
  const address = `localhost:${server.port}`;
  const ca = read('ca.crt');
  const tenant = pair('tenant_acme');
  const gateway = pair('gateway_gw-1');
  const admin = pair('admin');

  const tenantLogin = loginClient(address, ca, tenant);
  const tenantGateways = makeClient(GatewayService, address, ca, tenant);
  const adminLogin = loginClient(address, ca, admin);
  const adminGateways = makeClient(GatewayService, address, ca, admin);
  const master = () => makeClient(MasterService, address, ca, gateway);

  const tenantToken = (await unary<LoginResponse>(tenantLogin, 'login', { tenantCert: tenant.certPem })).jwtToken;
  const actingToken = (await unary<LoginAdminResponse>(adminLogin, 'loginAdmin', { adminTenantCert: admin.certPem, tenantID: 'acme' })).jwtToken;
  const tenantList = () => outcome(unary(tenantGateways, 'getList', {}, metadataWith(tenantToken)));
  const actingList = () => outcome(unary(adminGateways, 'getList', {}, metadataWith(actingToken)));
  expect(await tenantList()).toBe(status.OK);
  expect(await actingList()).toBe(status.OK);
  expect(await outcome(unary(master(), 'subscribe', { gatewayCert: gateway.certPem }))).toBe(status.OK);

  run(['tenant', 'delete', 'acme', '--yes']);
  expect(await until(actingList, status.UNAUTHENTICATED)).toBe(status.UNAUTHENTICATED);
  run(['tenant', 'add', 'acme', '--gateway', 'gw-1']);
  // The new tenant is visible to the running server: the administrator can act for it again.
  const fresh = () => outcome(unary(loginClient(address, ca, admin), 'loginAdmin', { adminTenantCert: admin.certPem, tenantID: 'acme' }));
  expect(await until(fresh, status.OK)).toBe(status.OK);

  expect(await actingList()).toBe(status.UNAUTHENTICATED);
  expect(await tenantList()).toBe(status.UNAUTHENTICATED);
  const login = await codeOf(unary(loginClient(address, ca, tenant), 'login', { tenantCert: tenant.certPem }));
  // Blacklisted certificates are dropped at the handshake (UNAVAILABLE); a connection made before is refused per call.
  const refusals: number[] = [status.UNAUTHENTICATED, status.UNAVAILABLE];
  expect(refusals).toContain(login.code);
  expect(refusals).toContain(await outcome(unary(master(), 'subscribe', { gatewayCert: gateway.certPem })));

  // The Tenant API's rules hold for the CLI too: the deleted tenant's certificates are on the blacklist.
  const rows = JSON.parse(run(['certs', 'list', '--tenant', 'acme', '--json']).stdout) as { kind: string; blacklisted: boolean }[];
  expect(rows.map((r) => [r.kind, r.blacklisted]).sort()).toEqual([
    ['gateway', true],
    ['tenant', true],
  ]);
}, 60_000);

it('CLI tenant delete refuses the administrator tenant and an unknown tenant, changing nothing', () => {
  const admin = cli(['tenant', 'delete', 'administrator', '--yes'], env);
  expect(admin.status).toBe(1);
  expect(admin.stderr).toMatch(/never be deleted/);
  const unknown = cli(['tenant', 'delete', 'nobody', '--yes'], env);
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toMatch(/nobody/);
  expect(JSON.parse(cli(['tenant', 'list', '--json'], env).stdout).map((t: { tenantId: string }) => t.tenantId)).toEqual(['acme', 'administrator']);
});

/**
 * Issue 11: the CLI and the Tenant/Gateway APIs call the same core operations, so on the same
 * database they agree: what a deletion leaves behind, what they refuse, whose a blacklisting is.
 * A real gateway (its embedded database in the test's data directory) and the real built CLI on it.
 */
import { status } from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { ApiSession, openSession } from '../support/admin-session';
import { cli } from '../support/cli';
import { closeAllClients, codeOf } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
let admin: ApiSession;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  gw = await startTestGateway();
  admin = await openSession(gw, gw.pki.admin);
  env = { GATEWAY_CERT_DIR: join(gw.pki.dir, 'certs'), GATEWAY_DATA_DIR: join(gw.pki.dir, 'data'), GATEWAY_PASSWORD_MEMORY_KIB: '1024', GATEWAY_PASSWORD_TIME_COST: '1' };
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

const code = async (p: Promise<unknown>) => (await codeOf(p)).code;
const serialOf = (pem: string) => BigInt(`0x${new X509Certificate(pem).serialNumber}`);
const run = (args: string[]) => {
  const r = cli(args, env);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
};
const certsOf = (tenantId: string) =>
  (JSON.parse(run(['certs', 'list', '--tenant', tenantId, '--json'])) as { kind: string; gatewayId: string | null; blacklisted: boolean }[])
    .map((c) => [c.kind, c.gatewayId === null ? null : 'own gateway', c.blacklisted])
    .sort();

/** A tenant with one gateway, and a tenant and a gateway certificate issued through the APIs. */
async function tenantWithCertificates(tenantId: string): Promise<void> {
  await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: tenantId, gatewayIDs: [`${tenantId}-gw`] }] });
  await admin.call('tenant', 'createCertificate', { tenantID: tenantId, expireAfterYears: 1 });
  await admin.call('gateway', 'createCertificate', { gatewayID: `${tenantId}-gw`, expireAfterYears: 1 });
}

it('tenant delete: the CLI leaves what Tenant.Delete leaves (registrations gone, every certificate blacklisted)', async () => {
  await tenantWithCertificates('by-grpc');
  await tenantWithCertificates('by-cli');
  await admin.call('tenant', 'delete', { tenantIDs: ['by-grpc'] });
  run(['tenant', 'delete', 'by-cli', '--yes']);

  const left = [
    ['gateway', 'own gateway', true],
    ['tenant', null, true],
  ];
  expect(certsOf('by-grpc')).toEqual(left);
  expect(certsOf('by-cli')).toEqual(left);
  const gateways = (JSON.parse(run(['gateway', 'list', '--json'])) as { gatewayId: string }[]).map((g) => g.gatewayId);
  expect(gateways).not.toContain('by-grpc-gw');
  expect(gateways).not.toContain('by-cli-gw');
  // The running gateway hears of the CLI's deletion through the database, as of its own.
  for (let i = 0; i < 50 && gw.gateway.core.directory.gatewayOwner('by-cli-gw') !== undefined; i++) await new Promise((r) => setTimeout(r, 100));
  expect(gw.gateway.core.directory.gatewayOwner('by-cli-gw')).toBeUndefined();
  expect(gw.gateway.core.directory.gatewayOwner('by-grpc-gw')).toBeUndefined();
});

it('tenant delete: both refuse the administrator tenant and a tenant that is not registered', async () => {
  expect(await code(admin.call('tenant', 'delete', { tenantIDs: ['administrator'] }))).toBe(status.FAILED_PRECONDITION);
  expect(cli(['tenant', 'delete', 'administrator', '--yes'], env)).toMatchObject({ status: 1, stderr: expect.stringMatching(/administrator tenant can never be deleted/) });
  expect(await code(admin.call('tenant', 'delete', { tenantIDs: ['nobody'] }))).toBe(status.NOT_FOUND);
  expect(cli(['tenant', 'delete', 'nobody', '--yes'], env)).toMatchObject({ status: 1, stderr: expect.stringMatching(/unknown tenant: nobody/) });
});

it('unblacklisting a serial the gateway never issued nor blacklisted: both refuse it (the CLI used to say it was done)', async () => {
  const unknown = 987_654_321n;
  expect(await code(admin.call('tenant', 'deleteCertificateBlacklist', { tenantID: 'administrator', serialNOs: [unknown] }))).toBe(status.NOT_FOUND);
  const r = cli(['certs', 'unblacklist', unknown.toString()], env);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/no certificate with serial 987654321/);
  expect(r.stdout).toBe('');
});

it('blacklist: a CLI blacklisting is recorded for the certificate\'s owner, as the Gateway API records it, in force on the running gateway', async () => {
  await tenantWithCertificates('bl');
  const issue = () => admin.call<{ gatewayCert: string }>('gateway', 'createCertificate', { gatewayID: 'bl-gw', expireAfterYears: 1 });
  const [viaGrpc, viaCli] = [serialOf((await issue()).gatewayCert), serialOf((await issue()).gatewayCert)];
  await admin.call('gateway', 'addCertificateBlacklist', { gatewayID: 'bl-gw', serialNOs: [viaGrpc] });
  // A tenant named on the command line does not override the issuance history.
  expect(run(['certs', 'blacklist', viaCli.toString(), '--tenant', 'someone-else'])).toMatch(/tenant bl, gateway bl-gw/);

  const entries = (await gw.gateway.core.store.listBlacklist()).filter((e) => e.serial === viaGrpc || e.serial === viaCli);
  expect(entries.map(({ serial, tenantId, gatewayId }) => ({ serial, tenantId, gatewayId }))).toEqual(
    expect.arrayContaining([
      { serial: viaGrpc, tenantId: 'bl', gatewayId: 'bl-gw' },
      { serial: viaCli, tenantId: 'bl', gatewayId: 'bl-gw' },
    ]),
  );
  const listed = await admin.call<{ certInfos: { serialNO: bigint | string }[] }>('gateway', 'getCertificateBlacklist', { gatewayIDs: ['bl-gw'] });
  expect(listed.certInfos.map((c) => BigInt(c.serialNO)).sort()).toEqual([viaGrpc, viaCli].sort());
  for (let i = 0; i < 50 && !gw.gateway.core.directory.isBlacklisted(viaCli); i++) await new Promise((r) => setTimeout(r, 100));
  expect(gw.gateway.core.directory.isBlacklisted(viaCli)).toBe(true);

  // Unblacklisting: the CLI's is the Gateway API's.
  run(['certs', 'unblacklist', viaCli.toString()]);
  await admin.call('gateway', 'deleteCertificateBlacklist', { gatewayID: 'bl-gw', serialNOs: [viaGrpc] });
  expect((await admin.call<{ certInfos: unknown[] }>('gateway', 'getCertificateBlacklist', { gatewayIDs: ['bl-gw'] })).certInfos).toEqual([]);
});

it('the CLI runs on the configured settings: its users are hashed at the configured password cost', async () => {
  run(['tenant', 'add', 'people']);
  expect(cli(['user', 'add', 'ada', '--tenant', 'people'], env, 'ada password 1\n').status).toBe(0);
  const ada = await gw.gateway.core.store.findUserByName('ada');
  expect(ada?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
});

/**
 * Issue 12 item 4: `audit list` answers who did what. gRPC logins (ok and refused) and an
 * administrative change over real mutual TLS, and a change made with the CLI, read back by the real
 * built CLI on the same database file: actors, filters, paging, ISO 8601 times.
 */
import { status } from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { ApiSession, openSession } from '../support/admin-session';
import { cli } from '../support/cli';
import { closeAllClients, codeOf, loginClient, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';

interface Row {
  id: string;
  time: string;
  kind: string;
  outcome: 'ok' | 'refused';
  result: string;
  door: string;
  tenant: string | null;
  actor: string | null;
  detail: string | null;
}

let gw: TestGateway;
let admin: ApiSession;
let env: NodeJS.ProcessEnv;
let adminSerial: string;
let acmeSerial: string;

const serialOf = (pem: string) => BigInt(`0x${new X509Certificate(pem).serialNumber}`).toString();
const run = (args: string[]) => {
  const r = cli(args, env);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
};
const list = (...args: string[]) => JSON.parse(run(['audit', 'list', '--json', ...args])) as { events: Row[]; next: string | null };

beforeAll(async () => {
  gw = await startTestGateway();
  env = { GATEWAY_CERT_DIR: join(gw.pki.dir, 'certs'), GATEWAY_DATA_DIR: join(gw.pki.dir, 'data') };
  adminSerial = serialOf(gw.pki.admin.certPem);
  admin = await openSession(gw, gw.pki.admin);
  await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'acme', gatewayIDs: [] }] });
  const acme = gw.pki.tenant('acme');
  acmeSerial = serialOf(acme.certPem);
  await unary(loginClient(gw.address, gw.pki.caPem, acme), 'login', { tenantCert: acme.certPem });
  const ghost = gw.pki.tenant('ghost');
  expect((await codeOf(unary(loginClient(gw.address, gw.pki.caPem, ghost), 'login', { tenantCert: ghost.certPem }))).code).toBe(status.NOT_FOUND);
  // gRPC logins are written in batches (every 250 ms): wait for the three of them.
  for (let i = 0; i < 50 && (await gw.gateway.core.store.queryAudit({ kind: 'login', limit: 10 })).length < 3; i++) await new Promise((r) => setTimeout(r, 100));
  run(['tenant', 'add', 'by-cli']);
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

it('lists gRPC logins, refusals with their code, and changes over gRPC and from the CLI, newest first, with their actors', () => {
  const { events, next } = list();
  expect(next).toBeNull();
  const seen = events.map((e) => [e.kind, e.outcome, e.door, e.tenant, e.detail]);
  expect(seen).toEqual([
    ['tenant_add', 'ok', 'cli', 'by-cli', null],
    ['login', 'refused', 'grpc', 'ghost', 'ERR_TENANT_NOT_FOUND'],
    ['login', 'ok', 'grpc', 'acme', null],
    ['tenant_add', 'ok', 'grpc', 'acme', null],
    ['login', 'ok', 'grpc', 'administrator', null],
  ]);
  expect(events[0].actor).toBe(`os:${userInfo().username}`);
  expect(events[2].actor).toMatch(new RegExp(`^cert:${acmeSerial} `));
  expect(events[3].actor).toMatch(new RegExp(`^cert:${adminSerial} O=`));
  for (const e of events) expect(e.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  // Never a token.
  expect(JSON.stringify(events)).not.toContain(admin.token);
});

it('filters by tenant, kind, outcome, actor and time', () => {
  expect(list('--tenant', 'acme').events.map((e) => e.kind)).toEqual(['login', 'tenant_add']);
  expect(list('--kind', 'tenant_add').events.map((e) => e.tenant)).toEqual(['by-cli', 'acme']);
  expect(list('--outcome', 'refused').events.map((e) => e.tenant)).toEqual(['ghost']);
  expect(list('--actor', adminSerial).events.map((e) => e.kind)).toEqual(['tenant_add', 'login']);
  expect(list('--actor', 'os:').events.map((e) => e.tenant)).toEqual(['by-cli']);
  expect(list('--since', '1h').events).toHaveLength(5);
  expect(list('--since', new Date(Date.now() + 3_600_000).toISOString()).events).toEqual([]);
  const table = run(['audit', 'list', '--outcome', 'refused']);
  expect(table).toMatch(/^TIME\s+KIND\s+OUTCOME/);
  expect(table).toMatch(/login\s+refused \(failure\)\s+grpc\s+ghost\s+cert:\d+ .*ERR_TENANT_NOT_FOUND/);
});

it('pages with the cursor each page gives, newest first, nothing twice, nothing left out', () => {
  const all = list().events.map((e) => e.id);
  const pages: string[][] = [];
  let before: string | null = null;
  do {
    const page: { events: Row[]; next: string | null } = list('--limit', '2', ...(before ? ['--before', before] : []));
    pages.push(page.events.map((e) => e.id));
    before = page.next;
  } while (before);
  expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
  expect(pages.flat()).toEqual(all);
  expect(run(['audit', 'list', '--limit', '2'])).toMatch(/next page: --before \d+\n$/);
});

it('refuses what it cannot read, before opening the store', () => {
  for (const bad of [['--since', 'yesterday'], ['--outcome', 'maybe'], ['--kind', 'nope'], ['--limit', '0'], ['--before', 'x']]) {
    const r = cli(['audit', 'list', ...bad], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: --/);
  }
});

it('records the other changes, from the CLI and over gRPC, and a gRPC logout; never a password', async () => {
  const cliEnv = { ...env, GATEWAY_PASSWORD_MEMORY_KIB: '1024', GATEWAY_PASSWORD_TIME_COST: '1' };
  expect(cli(['user', 'add', 'alice', '--tenant', 'acme'], cliEnv, 'alice secret 1\n').status).toBe(0);
  run(['role', 'set', 'auditor', '--permission', 'Users=view']);
  run(['role', 'delete', 'auditor']);
  run(['keys', 'rotate']);
  // The test PKI's certificates are not in the issuance history: the owner must be named.
  expect(cli(['certs', 'blacklist', acmeSerial], env).status).toBe(1);
  run(['certs', 'blacklist', acmeSerial, '--tenant', 'acme']);
  // The list is newest first by time: the gateway's clock (frozen at its start) catches up with the CLI's.
  gw.clock.now = Math.max(gw.clock.now, Date.now());
  expect((await codeOf(admin.call('tenant', 'deleteCertificateBlacklist', { tenantID: 'acme', serialNOs: [BigInt(acmeSerial)] }))).code).toBe(status.NOT_FOUND);
  await admin.call('login', 'logout');
  for (let i = 0; i < 50 && (await gw.gateway.core.store.queryAudit({ kind: 'logout', limit: 1 })).length < 1; i++) await new Promise((r) => setTimeout(r, 100));

  const { events } = list('--limit', '8');
  expect(events.map((e) => [e.kind, e.outcome, e.door, e.tenant, e.detail])).toEqual([
    ['logout', 'ok', 'grpc', 'administrator', null],
    ['certificate_unblacklist', 'refused', 'grpc', 'acme', 'ERR_CERT_NOT_FOUND'],
    ['certificate_blacklist', 'ok', 'cli', 'acme', `serial ${acmeSerial}`],
    ['certificate_blacklist', 'refused', 'cli', null, 'ERR_INVALID_ARGUMENT'],
    ['key_rotate', 'ok', 'cli', null, expect.stringMatching(/^kid /)],
    ['role_delete', 'ok', 'cli', null, 'role auditor'],
    ['role_set', 'ok', 'cli', null, 'role auditor'],
    ['user_add', 'ok', 'cli', 'acme', 'user alice'],
  ]);
  expect(events[1].actor).toMatch(new RegExp(`^cert:${adminSerial} `));
  expect(JSON.stringify(events)).not.toContain('alice secret');
});

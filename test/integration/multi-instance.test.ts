/**
 * Two gateway instances on one store (here the embedded database file; the same test runs on
 * PostgreSQL when GATEWAY_TEST_DATABASE_URL is set): what is done through one is in force on the
 * other once it has heard of it through the store's change feed (a poll: 500 ms by default), and device
 * gateway status is seen from both. The tests assert that it happens, not how fast (no timed assertions).
 */
import * as grpc from '@grpc/grpc-js';
import { Status, StatusChange } from '../../src/gen/gsdk/gateway/gateway';
import { CommandRequest, MasterService } from '../../src/gen/gsdk/master/master';
import { closeAllClients, codeOf, decodeJwt, makeClient, metadataWith, unary } from '../support/clients';
import { readFileSync } from 'node:fs';
import { createSecretBox } from '../../src/core/secret-box';
import { retireSigningKey, rotateSigningKey } from '../../src/core/signing-keys';
import { ApiSession, openSession } from '../support/admin-session';
import { TEST_SYSTEM_SECRET } from '../support/secret-box';
import { startTestGateway, TestGateway } from '../support/gateway';
import { eventually } from '../support/eventually';
import { makeTestPki, TestPki } from '../support/pki';
import { http } from '../support/http';
import { serve } from '../support/cli';
import { join } from 'node:path';

let pki: TestPki;
let a: TestGateway;
let b: TestGateway;
const databaseUrl = process.env.GATEWAY_TEST_DATABASE_URL;
/** Names unique to this run, so a reused database does not collide. */
const run = Date.now().toString(36);
const globex = `globex-${run}`;
const doomed = `doomed-${run}`;
const target = `guess-${run}`;

beforeAll(async () => {
  pki = makeTestPki();
  const config = { presenceHeartbeatMs: 200, ...(databaseUrl ? { databaseUrl, secrets: [TEST_SYSTEM_SECRET] } : {}) };
  a = await startTestGateway({ pki, config });
  b = await startTestGateway({ pki, config });
  await a.gateway.core.store.addTenants([{ tenantId: 'acme', gatewayIds: ['acme-gw'] }]).catch(() => undefined);
  await b.gateway.core.directory.refresh('tenants');
});
afterAll(async () => {
  closeAllClients();
  await a.close();
  await b.close();
  pki.cleanup();
});


const ok = (p: Promise<unknown>) => p.then(() => true, () => false);

it('a tenant added on A logs in on B, a token from A works on B, a logout on A is enforced on B', async () => {
  const admin = await openSession(a, pki.admin);
  await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: globex, gatewayIDs: [] }] });
  await eventually(() => ok(openSession(b, pki.tenant(globex))));

  const pair = pki.tenant(globex);
  const fromA = await openSession(a, pair);
  const onBSession = await openSession(b, pair);
  onBSession.token = fromA.token;
  expect(await onBSession.call('gateway', 'getList')).toEqual({ gatewayIDs: [] });
  await fromA.call('login', 'logout');
  await eventually(async () => (await codeOf(onBSession.call('gateway', 'getList')).catch(() => ({ code: -1 }))).code === grpc.status.UNAUTHENTICATED);
});

it('a blacklist and a tenant delete made on A are enforced on B', async () => {
  const admin = await openSession(a, pki.admin);
  await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: doomed, gatewayIDs: [] }] });
  const issued = await admin.call<{ tenantCert: string; tenantKey: string }>('tenant', 'createCertificate', { tenantID: doomed, expireAfterYears: 1 });
  const pair = { certPem: issued.tenantCert, keyPem: issued.tenantKey, serial: 0n };
  await eventually(() => ok(openSession(b, pair)));
  const live = await openSession(b, pair);
  const { certInfos } = await admin.call<{ certInfos: { serialNO: bigint }[] }>('tenant', 'getIssuanceHistory', { tenantIDs: [doomed] });
  await admin.call('tenant', 'addCertificateBlacklist', { tenantID: doomed, serialNOs: [certInfos[0].serialNO] });
  await eventually(async () => !(await ok(live.call('gateway', 'getList'))));
  await admin.call('tenant', 'delete', { tenantIDs: [doomed] });
  await eventually(async () => !(await b.gateway.core.directory.hasTenant(doomed)));
});

it('lockout counters are shared: guesses spread over A and B count together', async () => {
  await a.gateway.core.identity.users.add({ username: target, tenantId: 'acme', password: 'right password 1' });
  const statuses: number[] = [];
  for (let i = 0; i < 14; i++) {
    const gw = i % 2 ? b : a;
    statuses.push((await http(gw.http, 'POST', '/api/login', { body: { username: target, password: `wrong-${i}` } })).status);
  }
  expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
  expect(statuses).toContain(429);
});

it('a device gateway connected to A is CONNECTED on B (status stream and Get), and DISCONNECTED when it leaves', async () => {
  const tenantOnB: ApiSession = await openSession(b, pki.tenant('acme'));
  const changes: StatusChange[] = [];
  const stream = (tenantOnB.gateway.subscribeStatus as (r: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<StatusChange>)({ queueSize: 0 }, metadataWith(tenantOnB.token));
  await new Promise((r) => stream.once('metadata', r));
  stream.on('data', (c: StatusChange) => changes.push(c));
  stream.on('error', () => undefined);

  const pair = pki.gateway('acme', 'acme-gw');
  const master = makeClient(MasterService, a.address, pki.caPem, pair);
  const { sessionID } = await unary<{ sessionID: number }>(master, 'subscribe', { gatewayCert: pair.certPem });
  const chan = (master.initCommandChan as () => grpc.ClientDuplexStream<unknown, CommandRequest>)();
  chan.on('error', () => undefined);
  await new Promise((r) => chan.once('data', r));
  await unary(master, 'updateDeviceList', { sessionID, deviceIDs: [5, 6] });

  await eventually(async () => changes.some((c) => c.gatewayID === 'acme-gw' && c.status === Status.CONNECTED));
  await eventually(async () => {
    const { gatewayInfos } = await tenantOnB.call<{ gatewayInfos: { isConnected: boolean; deviceIDs: number[] }[] }>('gateway', 'get', { gatewayIDs: ['acme-gw'] });
    return gatewayInfos[0].isConnected && gatewayInfos[0].deviceIDs.join() === '5,6';
  });

  chan.end();
  await eventually(async () => changes.some((c) => c.gatewayID === 'acme-gw' && c.status === Status.DISCONNECTED));
  expect(b.gateway.core.hub.isConnected('acme-gw')).toBe(false);
  stream.cancel();
});

it('when the instance holding a channel dies, the others report the gateway DISCONNECTED once its heartbeats stop', async () => {
  await b.gateway.core.store.addGateways('acme', ['acme-gw2']).catch(() => undefined);
  await b.gateway.core.directory.refresh('tenants');
  const child = await serve({
    GATEWAY_CERT_DIR: join(pki.dir, 'certs'),
    GATEWAY_DATA_DIR: join(pki.dir, 'data'),
    GATEWAY_PRESENCE_HEARTBEAT_MS: '200',
    ...(databaseUrl ? { GATEWAY_DATABASE_URL: databaseUrl, GATEWAY_SECRETS: TEST_SYSTEM_SECRET } : {}),
  });
  const pair = pki.gateway('acme', 'acme-gw2');
  const master = makeClient(MasterService, `localhost:${child.port}`, pki.caPem, pair);
  await unary(master, 'subscribe', { gatewayCert: pair.certPem });
  const chan = (master.initCommandChan as () => grpc.ClientDuplexStream<unknown, CommandRequest>)();
  chan.on('error', () => undefined);
  await new Promise((r) => chan.once('data', r));
  await eventually(async () => b.gateway.core.hub.isConnected('acme-gw2'));
  await child.stop('SIGKILL');
  await eventually(async () => !b.gateway.core.hub.isConnected('acme-gw2'));
});

it('a key retired through A: B refuses its tokens (even one cached on a connection) and drops it from its JWKS', async () => {
  const box = createSecretBox([databaseUrl ? TEST_SYSTEM_SECRET : readFileSync(join(pki.dir, 'certs', 'system_secrets'), 'utf8').trim()]);
  const oldKid = b.gateway.core.keys.signing().kid;
  const onB = await openSession(b, pki.admin);
  expect(decodeJwt(onB.token!).header.kid).toBe(oldKid);
  await onB.call('gateway', 'getList');
  const added = await rotateSigningKey(a.gateway.core.store, box, Date.now);
  await eventually(async () => b.gateway.core.keys.signing().kid === added.kid);
  await retireSigningKey(a.gateway.core.store, oldKid);
  const jwksKids = async () => ((await http(b.http, 'GET', '/.well-known/jwks.json')).json.keys as { kid: string }[]).map((k) => k.kid);
  await eventually(async () => !(await jwksKids()).includes(oldKid));
  await eventually(async () => (await codeOf(onB.call('gateway', 'getList')).catch(() => ({ code: -1 }))).code === grpc.status.UNAUTHENTICATED);
  expect(await ok((await openSession(b, pki.admin)).call('gateway', 'getList'))).toBe(true);
});

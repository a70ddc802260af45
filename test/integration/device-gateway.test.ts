/** A simulated device gateway going through Subscribe → UpdateDeviceList → InitCommandChan → disconnect while tenants watch. */
import * as grpc from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CommandRequest, CommandRequest_RequestType as RequestType, MasterService } from '../../src/gen/gsdk/master/master';
import { Status, StatusChange } from '../../src/gen/gsdk/gateway/gateway';
import { AnyClient, closeAllClients, codeOf, makeClient, metadataWith, unary } from '../support/clients';
import { ApiSession, openSession } from '../support/admin-session';
import { startTestGateway, TestGateway } from '../support/gateway';
import { ClientPair } from '../support/pki';

let gw: TestGateway;
let acme: ApiSession;
let globex: ApiSession;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme', gatewayIds: ['acme-gw', 'acme-gw2'] }, { tenantId: 'globex', gatewayIds: ['globex-gw'] }] });
  acme = await openSession(gw, gw.pki.tenant('acme'));
  globex = await openSession(gw, gw.pki.tenant('globex'));
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

/** Collects status changes of a SubscribeStatus stream; `next()` waits for the next one. */
function watch(session: ApiSession, queueSize = 0) {
  const changes: StatusChange[] = [];
  const waiters: ((c: StatusChange) => void)[] = [];
  const stream = (session.gateway.subscribeStatus as (r: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<StatusChange>)({ queueSize }, metadataWith(session.token));
  const ready = new Promise<void>((resolve) => stream.once('metadata', () => resolve()));
  stream.on('data', (c: StatusChange) => {
    const waiter = waiters.shift();
    if (waiter) waiter(c);
    else changes.push(c);
  });
  stream.on('error', () => undefined);
  return {
    ready,
    changes,
    next: () => new Promise<StatusChange>((resolve) => (changes.length ? resolve(changes.shift()!) : waiters.push(resolve))),
    cancel: () => stream.cancel(),
  };
}

function deviceGateway(pair: ClientPair) {
  const master: AnyClient = makeClient(MasterService, gw.address, gw.pki.caPem, pair);
  return {
    master,
    subscribe: () => unary<{ sessionID: number }>(master, 'subscribe', { gatewayCert: pair.certPem }).then((r) => r.sessionID),
    update: (sessionID: number, deviceIDs: number[]) => unary(master, 'updateDeviceList', { sessionID, deviceIDs }),
    open() {
      const chan = (master.initCommandChan as () => grpc.ClientDuplexStream<unknown, CommandRequest>)();
      const first = new Promise<CommandRequest>((resolve, reject) => {
        chan.once('data', resolve);
        chan.once('error', reject);
      });
      chan.on('error', () => undefined);
      return { chan, first };
    },
  };
}

it('goes CONNECTED and DISCONNECTED with its command channel, seen only by its own tenant', async () => {
  const acmeWatch = watch(acme);
  const globexWatch = watch(globex);
  await Promise.all([acmeWatch.ready, globexWatch.ready]);

  const device = deviceGateway(gw.pki.gateway('acme', 'acme-gw'));
  const session = await device.subscribe();
  expect(session).toBeGreaterThan(0);
  await device.update(session, [30, 10, 20, 10]);
  const { chan, first } = device.open();
  expect((await first).requestType).toBe(RequestType.INIT_CHAN);

  const connected = await acmeWatch.next();
  expect(connected).toMatchObject({ gatewayID: 'acme-gw', status: Status.CONNECTED });
  expect(Math.abs(connected.timestamp - gw.clock.now / 1000)).toBeLessThan(5);
  expect(await acme.call('gateway', 'get', { gatewayIDs: ['acme-gw'] })).toEqual({
    gatewayInfos: [{ gatewayID: 'acme-gw', deviceIDs: [10, 20, 30], isConnected: true }],
  });

  chan.end();
  expect(await acmeWatch.next()).toMatchObject({ gatewayID: 'acme-gw', status: Status.DISCONNECTED });
  expect(await acme.call('gateway', 'get', { gatewayIDs: ['acme-gw'] })).toMatchObject({ gatewayInfos: [{ isConnected: false }] });

  // globex saw nothing of acme's gateway: its first change is its own gateway's.
  const other = deviceGateway(gw.pki.gateway('globex', 'globex-gw'));
  await other.subscribe();
  const otherChan = other.open();
  await otherChan.first;
  expect(await globexWatch.next()).toMatchObject({ gatewayID: 'globex-gw', status: Status.CONNECTED });
  otherChan.chan.cancel();
  expect(await globexWatch.next()).toMatchObject({ gatewayID: 'globex-gw', status: Status.DISCONNECTED });
  expect(acmeWatch.changes).toEqual([]);
  acmeWatch.cancel();
  globexWatch.cancel();
});

it('a gateway certificate for an unregistered gateway, or naming the wrong tenant, is refused', async () => {
  expect((await codeOf(deviceGateway(gw.pki.gateway('acme', 'unknown-gw')).subscribe())).code).toBe(grpc.status.NOT_FOUND);
  expect((await codeOf(deviceGateway(gw.pki.gateway('acme', 'globex-gw')).subscribe())).code).toBe(grpc.status.NOT_FOUND);
});

it('a session ID used from another gateway\'s connection is refused', async () => {
  const one = deviceGateway(gw.pki.gateway('acme', 'acme-gw'));
  const two = deviceGateway(gw.pki.gateway('acme', 'acme-gw2'));
  const session = await one.subscribe();
  await two.subscribe();
  const err = await codeOf(two.update(session, [99]));
  expect(err.code).toBe(grpc.status.NOT_FOUND);
  expect(gw.gateway.core.hub.deviceIds('acme-gw2')).not.toContain(99);
});

it('a connection that drops without closing the channel goes DISCONNECTED', async () => {
  const acmeWatch = watch(acme);
  await acmeWatch.ready;
  const pair = gw.pki.gateway('acme', 'acme-gw2');
  const child = spawn(process.execPath, [join(__dirname, '..', 'support', 'device-gateway-process.js')], {
    env: { PATH: process.env.PATH, DGW_ADDRESS: gw.address, DGW_CA: gw.pki.caPem, DGW_CERT: pair.certPem, DGW_KEY: pair.keyPem },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('open') && resolve()));
  expect(await acmeWatch.next()).toMatchObject({ gatewayID: 'acme-gw2', status: Status.CONNECTED });
  child.kill('SIGKILL');
  expect(await acmeWatch.next()).toMatchObject({ gatewayID: 'acme-gw2', status: Status.DISCONNECTED });
  acmeWatch.cancel();
});

it('deleting a connected gateway ends its channel; blacklisting its certificate refuses it from then on', async () => {
  await acme.call('gateway', 'add', { gatewayIDs: ['acme-tmp'] });
  const pair = gw.pki.gateway('acme', 'acme-tmp');
  const device = deviceGateway(pair);
  await device.subscribe();
  const { chan, first } = device.open();
  await first;
  const ended = new Promise<void>((resolve) => chan.on('end', () => resolve()).on('error', () => resolve()).on('data', () => undefined));
  await acme.call('gateway', 'delete', { gatewayIDs: ['acme-tmp'] });
  await ended;
  expect(gw.gateway.core.hub.isConnected('acme-tmp')).toBe(false);

  const fresh = gw.pki.gateway('acme', 'acme-gw');
  await gw.gateway.core.store.recordCertificate({ serial: fresh.serial, kind: 'gateway', tenantId: 'acme', gatewayId: 'acme-gw', subject: { country: '', province: '', city: '', organization: '', organizationUnit: '', commonName: '' }, issuedAt: 1, expiresAt: 2, fingerprint: 'x' });
  const live = deviceGateway(fresh);
  const session = await live.subscribe();
  await acme.call('gateway', 'addCertificateBlacklist', { gatewayID: 'acme-gw', serialNOs: [fresh.serial] });
  // Its live connection: every call is refused for the certificate, before the session is looked up.
  expect((await codeOf(live.update(session, [1]))).code).toBe(grpc.status.UNAUTHENTICATED);
  expect((await codeOf(live.subscribe())).code).toBe(grpc.status.UNAUTHENTICATED);
  // A new connection with it does not get past the handshake.
  expect((await codeOf(deviceGateway(fresh).subscribe())).code).toBe(grpc.status.UNAVAILABLE);
});

/**
 * A device gateway's InitLogChan and InitDeviceStatusChan (G-SDK master.proto), over real mTLS:
 * refused without a session, served after Subscribe; device status changes show in Gateway.Get and
 * in the tenant's status stream, realtime events are counted and logged at debug.
 */
import * as grpc from '@grpc/grpc-js';
import { Status as DeviceLink } from '../../src/gen/gsdk/connect/connect';
import { Status, StatusChange } from '../../src/gen/gsdk/gateway/gateway';
import { DeviceStatus, MasterService, RealtimeEvent } from '../../src/gen/gsdk/master/master';
import { ApiSession, openSession } from '../support/admin-session';
import { AnyClient, closeAllClients, codeOf, makeClient, metadataWith, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';
import { ClientPair } from '../support/pki';

let gw: TestGateway;
let acme: ApiSession;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme', gatewayIds: ['acme-gw', 'acme-gw2'] }] });
  acme = await openSession(gw, gw.pki.tenant('acme'));
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

/** A client stream: write messages, then `end()` resolves with the answer or rejects with the status. */
function clientStream<Req>(master: AnyClient, method: 'initLogChan' | 'initDeviceStatusChan') {
  let stream!: grpc.ClientWritableStream<Req>;
  const answer = new Promise<object>((resolve, reject) => {
    stream = (master[method] as (md: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: object) => void) => grpc.ClientWritableStream<Req>)(
      new grpc.Metadata(),
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
  answer.catch(() => undefined);
  return { write: (m: Req) => stream.write(m), answer, end: () => (stream.end(), answer) };
}

function deviceGateway(pair: ClientPair) {
  const master = makeClient(MasterService, gw.address, gw.pki.caPem, pair);
  return {
    master,
    subscribe: () => unary<{ sessionID: number }>(master, 'subscribe', { gatewayCert: pair.certPem }),
    /** Opens the command channel and waits for the master's INIT_CHAN: the gateway is CONNECTED. */
    async connect() {
      const chan = (master.initCommandChan as () => grpc.ClientDuplexStream<unknown, unknown>)();
      chan.on('error', () => undefined);
      await new Promise((resolve) => chan.once('data', resolve));
      return chan;
    },
    logChan: () => clientStream<RealtimeEvent>(master, 'initLogChan'),
    statusChan: () => clientStream<DeviceStatus>(master, 'initDeviceStatusChan'),
  };
}

function watchStatus(session: ApiSession) {
  const changes: StatusChange[] = [];
  const waiters: ((c: StatusChange) => void)[] = [];
  const stream = (session.gateway.subscribeStatus as (r: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<StatusChange>)({ queueSize: 0 }, metadataWith(session.token));
  stream.on('data', (c: StatusChange) => (waiters.length ? waiters.shift()!(c) : changes.push(c)));
  stream.on('error', () => undefined);
  return {
    ready: new Promise<void>((resolve) => stream.once('metadata', () => resolve())),
    next: () => new Promise<StatusChange>((resolve) => (changes.length ? resolve(changes.shift()!) : waiters.push(resolve))),
    cancel: () => stream.cancel(),
  };
}

const deviceStatus = (deviceID: number, status: DeviceLink): DeviceStatus => ({ masterChanID: 'chan-1', status: { deviceID, status, timestamp: 1_700_000_000 } });
const devicesOf = async (gatewayID: string) =>
  (await acme.call<{ gatewayInfos: { deviceIDs: number[] }[] }>('gateway', 'get', { gatewayIDs: [gatewayID] })).gatewayInfos[0].deviceIDs;

it('both channels are refused without a session on the connection, like the other Master calls', async () => {
  const device = deviceGateway(gw.pki.gateway('acme', 'acme-gw'));
  expect((await codeOf(device.logChan().end())).code).toBe(grpc.status.FAILED_PRECONDITION);
  expect((await codeOf(device.statusChan().end())).code).toBe(grpc.status.FAILED_PRECONDITION);
});

it('device status changes update Gateway.Get and reach the tenant status stream', async () => {
  const watch = watchStatus(acme);
  await watch.ready;
  const device = deviceGateway(gw.pki.gateway('acme', 'acme-gw'));
  const { sessionID } = await device.subscribe();
  await unary(device.master, 'updateDeviceList', { sessionID, deviceIDs: [3] });
  const chan = await device.connect();
  expect(await watch.next()).toMatchObject({ gatewayID: 'acme-gw', status: Status.CONNECTED });

  const feed = device.statusChan();
  feed.write(deviceStatus(7, DeviceLink.TLS_CONNECTED));
  expect(await watch.next()).toMatchObject({ gatewayID: 'acme-gw', status: Status.CONNECTED });
  expect(await devicesOf('acme-gw')).toEqual([3, 7]);

  feed.write(deviceStatus(3, DeviceLink.TCP_CANNOT_CONNECT));
  expect(await watch.next()).toMatchObject({ gatewayID: 'acme-gw', status: Status.CONNECTED });
  expect(await devicesOf('acme-gw')).toEqual([7]);
  expect(await feed.end()).toEqual({});

  chan.end();
  expect(await watch.next()).toMatchObject({ gatewayID: 'acme-gw', status: Status.DISCONNECTED });
  watch.cancel();
});

it('a device status without a device is refused with INVALID_ARGUMENT', async () => {
  const device = deviceGateway(gw.pki.gateway('acme', 'acme-gw2'));
  await device.subscribe();
  const feed = device.statusChan();
  feed.write({ masterChanID: '', status: undefined });
  expect((await codeOf(feed.answer)).code).toBe(grpc.status.INVALID_ARGUMENT);
});

it('realtime events are accepted, counted and logged at debug without the user ID', async () => {
  const device = deviceGateway(gw.pki.gateway('acme', 'acme-gw2'));
  await device.subscribe();
  const before = gw.gateway.core.devices.eventsReceived();
  const feed = device.logChan();
  for (let id = 1; id <= 3; id++) {
    feed.write(RealtimeEvent.fromPartial({ masterChanID: 'log-1', event: { ID: id, timestamp: 1_700_000_000, deviceID: 9, userID: 'secret-user-42', eventCode: 0x1000, subCode: 1 } }));
  }
  expect(await feed.end()).toEqual({});
  expect(gw.gateway.core.devices.eventsReceived()).toBe(before + 3);
  const lines = gw.logs.filter((l) => l.includes('"msg":"realtime event"'));
  expect(lines).toHaveLength(3);
  expect(lines[0]).toContain('"gateway":"acme-gw2"');
  expect(gw.logs.join('')).not.toContain('secret-user-42');
});

it('deleting the gateway ends its open channels with PERMISSION_DENIED', async () => {
  await acme.call('gateway', 'add', { gatewayIDs: ['acme-tmp'] });
  const device = deviceGateway(gw.pki.gateway('acme', 'acme-tmp'));
  await device.subscribe();
  const log = device.logChan();
  log.write({ masterChanID: 'x', event: undefined });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await acme.call('gateway', 'delete', { gatewayIDs: ['acme-tmp'] });
  expect((await codeOf(log.answer)).code).toBe(grpc.status.PERMISSION_DENIED);
});

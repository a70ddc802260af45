/**
 * Streams a shutdown ends, end with UNAVAILABLE (retry elsewhere), never OK (which says "done"):
 * a tenant's SubscribeStatus and a device gateway's channels, real clients across a real drain.
 */
import * as grpc from '@grpc/grpc-js';
import { StatusChange } from '../../src/gen/gsdk/gateway/gateway';
import { Status as DeviceLink } from '../../src/gen/gsdk/connect/connect';
import { DeviceStatus, MasterService } from '../../src/gen/gsdk/master/master';
import { openSession } from '../support/admin-session';
import { closeAllClients, makeClient, metadataWith, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;

afterAll(() => closeAllClients());

/** How a stream ended: its status code, whether by 'error' or by 'status' after a clean end. */
function ending(stream: grpc.ClientReadableStream<unknown> | grpc.ClientDuplexStream<unknown, unknown> | grpc.ClientWritableStream<unknown>) {
  return new Promise<grpc.status>((resolve) => {
    stream.on('error', (e: grpc.ServiceError) => resolve(e.code));
    stream.on('status', (s: grpc.StatusObject) => resolve(s.code));
    if ('read' in stream) stream.on('data', () => undefined);
  });
}

it('a shutdown ends status streams and device gateway channels with UNAVAILABLE', async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme', gatewayIds: ['acme-gw'] }] });
  const acme = await openSession(gw, gw.pki.tenant('acme'));
  const watch = (acme.gateway.subscribeStatus as (r: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<StatusChange>)({ queueSize: 0 }, metadataWith(acme.token));
  await new Promise((resolve) => watch.once('metadata', resolve));
  const watchEnd = ending(watch);
  const seen: StatusChange[] = [];
  const announced = (n: number) => new Promise<void>((resolve) => (seen.length >= n ? resolve() : watch.on('data', () => seen.length >= n && resolve())));
  watch.on('data', (c: StatusChange) => seen.push(c));

  const pair = gw.pki.gateway('acme', 'acme-gw');
  const master = makeClient(MasterService, gw.address, gw.pki.caPem, pair);
  await unary(master, 'subscribe', { gatewayCert: pair.certPem });
  const chan = (master.initCommandChan as () => grpc.ClientDuplexStream<unknown, unknown>)();
  await new Promise((resolve) => chan.once('data', resolve));
  const chanEnd = ending(chan);
  let feed!: grpc.ClientWritableStream<DeviceStatus>;
  const feedAnswer = new Promise<grpc.status>((resolve) => {
    feed = (master.initDeviceStatusChan as (cb: (e: grpc.ServiceError | null) => void) => grpc.ClientWritableStream<DeviceStatus>)((e) => resolve(e ? e.code : grpc.status.OK));
  });
  // The device-status channel is open (its device's arrival was announced) before the shutdown starts.
  feed.write({ masterChanID: '', status: { deviceID: 5, status: DeviceLink.TLS_CONNECTED, timestamp: 0 } });
  await announced(2);

  await gw.close();
  expect(await watchEnd).toBe(grpc.status.UNAVAILABLE);
  expect(await chanEnd).toBe(grpc.status.UNAVAILABLE);
  expect(await feedAnswer).toBe(grpc.status.UNAVAILABLE);
});

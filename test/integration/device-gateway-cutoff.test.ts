/**
 * A device gateway that loses its standing loses its open streams at once, over real mTLS: the
 * command channel (InitCommandChan), InitLogChan and InitDeviceStatusChan end with UNAUTHENTICATED
 * (certificate blacklisted, its CA removed from ca.crt) or PERMISSION_DENIED (gateway deleted), never
 * OK, and one warning with the stable code says why. Changes made over the API, by another process
 * (heard on the change feed) and by a TLS reload.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Status as DeviceLink } from '../../src/gen/gsdk/connect/connect';
import { DeviceStatus, MasterService, RealtimeEvent } from '../../src/gen/gsdk/master/master';
import { createAuthority, issueLeaf } from '../../src/pki/authority';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store';
import { ApiSession, openSession } from '../support/admin-session';
import { AnyClient, closeAllClients, makeClient, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';
import { ClientPair } from '../support/pki';

let gw: TestGateway;
let acme: ApiSession;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme', gatewayIds: [] }] });
  acme = await openSession(gw, gw.pki.tenant('acme'));
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

/** How a stream ended: its status code (OK included). */
function ending(stream: NodeJS.EventEmitter): Promise<grpc.status> {
  return new Promise((resolve) => {
    stream.on('status', (s: grpc.StatusObject) => resolve(s.code));
    stream.on('error', () => undefined);
    stream.on('data', () => undefined);
  });
}

/** A subscribed device gateway with its three streams open (each seen open by the server). */
async function connected(pair: ClientPair, gatewayId: string, caPem = gw.pki.caPem) {
  const master: AnyClient = makeClient(MasterService, gw.address, caPem, pair);
  await unary(master, 'subscribe', { gatewayCert: pair.certPem });
  const chan = (master.initCommandChan as () => grpc.ClientDuplexStream<unknown, unknown>)();
  const commandEnd = ending(chan);
  await new Promise((resolve) => chan.once('data', resolve));
  const clientStream = (method: 'initLogChan' | 'initDeviceStatusChan') => (master[method] as (md: grpc.Metadata, cb: () => void) => grpc.ClientWritableStream<unknown>)(new grpc.Metadata(), () => undefined);
  const log = clientStream('initLogChan');
  const status = clientStream('initDeviceStatusChan');
  const logEnd = ending(log);
  const statusEnd = ending(status);
  // Open on the server: the event is counted, the device shows in Gateway.Get.
  const events = gw.gateway.core.devices.eventsReceived();
  log.write(RealtimeEvent.fromPartial({ masterChanID: 'log', event: { ID: 1, deviceID: 5 } }));
  status.write(DeviceStatus.fromPartial({ masterChanID: 'status', status: { deviceID: 5, status: DeviceLink.TLS_CONNECTED } }));
  await until(async () => gw.gateway.core.devices.eventsReceived() > events && (await devicesOf(gatewayId)).includes(5));
  return { ends: Promise.all([commandEnd, logEnd, statusEnd]) };
}

const devicesOf = async (gatewayID: string) =>
  (await acme.call<{ gatewayInfos: { deviceIDs: number[] }[] }>('gateway', 'get', { gatewayIDs: [gatewayID] })).gatewayInfos[0]?.deviceIDs ?? [];

async function until(condition: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; !(await condition()); i++) {
    if (i > 200) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The warning of one cut-off, by gateway. */
const cutOffLine = (gatewayId: string) =>
  gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'device gateway cut off: its session and channels are ended' && l.gateway === gatewayId);

/** A gateway registered to acme with a certificate of its own on record (so it can be blacklisted by serial). */
async function registered(gatewayId: string, issue: () => ClientPair = () => gw.pki.gateway('acme', gatewayId)): Promise<ClientPair> {
  await acme.call('gateway', 'add', { gatewayIDs: [gatewayId] });
  const pair = issue();
  const subject = { country: '', province: '', city: '', organization: '', organizationUnit: '', commonName: '' };
  await gw.gateway.core.store.recordCertificate({ serial: pair.serial, kind: 'gateway', tenantId: 'acme', gatewayId, subject, issuedAt: 1, expiresAt: 2, fingerprint: 'x' });
  return pair;
}

it('blacklisting the gateway certificate over the API ends all three streams with UNAUTHENTICATED and logs ERR_CERT_BLACKLISTED', async () => {
  const pair = await registered('gw-black');
  const { ends } = await connected(pair, 'gw-black');
  await acme.call('gateway', 'addCertificateBlacklist', { gatewayID: 'gw-black', serialNOs: [pair.serial] });
  expect(await ends).toEqual([grpc.status.UNAUTHENTICATED, grpc.status.UNAUTHENTICATED, grpc.status.UNAUTHENTICATED]);
  expect(cutOffLine('gw-black')).toMatchObject({ level: 40, code: 'ERR_CERT_BLACKLISTED', tenant: 'acme', serial: pair.serial.toString(), channels: 3 });
  expect(gw.gateway.core.hub.isConnected('gw-black')).toBe(false);
  expect(gw.gateway.core.sessions.count()).toBe(0);
});

it('deleting the gateway ends all three streams with PERMISSION_DENIED and logs ERR_PERMISSION_DENIED; it comes back with no devices', async () => {
  const pair = await registered('gw-gone');
  const { ends } = await connected(pair, 'gw-gone');
  await acme.call('gateway', 'delete', { gatewayIDs: ['gw-gone'] });
  expect(await ends).toEqual([grpc.status.PERMISSION_DENIED, grpc.status.PERMISSION_DENIED, grpc.status.PERMISSION_DENIED]);
  expect(cutOffLine('gw-gone')).toMatchObject({ level: 40, code: 'ERR_PERMISSION_DENIED', tenant: 'acme' });
  await acme.call('gateway', 'add', { gatewayIDs: ['gw-gone'] });
  expect(await devicesOf('gw-gone')).toEqual([]);
});

it('a blacklisting by another process (the CLI, another instance) ends the streams once the change feed brings it', async () => {
  const pair = await registered('gw-feed');
  const { ends } = await connected(pair, 'gw-feed');
  const other = openSqliteStore(join(gw.pki.dir, 'data', 'gateway.db'), { pollMs: 0 });
  try {
    await other.addBlacklist([{ serial: pair.serial, tenantId: 'acme', gatewayId: 'gw-feed', addedAt: 1 }]);
  } finally {
    await other.close();
  }
  expect(await ends).toEqual([grpc.status.UNAUTHENTICATED, grpc.status.UNAUTHENTICATED, grpc.status.UNAUTHENTICATED]);
  expect(cutOffLine('gw-feed')).toMatchObject({ code: 'ERR_CERT_BLACKLISTED' });
});

it("removing the gateway certificate's CA from ca.crt ends the streams at the reload with UNAUTHENTICATED and logs ERR_CERT_UNTRUSTED", async () => {
  const caFile = join(gw.pki.dir, 'certs', 'ca.crt');
  const ownCa = readFileSync(caFile, 'utf8');
  const retiring = createAuthority();
  writeFileSync(caFile, `${ownCa}${retiring.certPem}`);
  expect(gw.gateway.reloadTls('test')).toBe('reloaded');
  const issued = issueLeaf(retiring, { kind: 'gateway', identity: { kind: 'gateway', tenantId: 'acme', gatewayId: 'gw-ca' } });
  const pair = await registered('gw-ca', () => ({ certPem: issued.certPem, keyPem: issued.keyPem, serial: issued.record.serial }));
  // A gateway of our own CA stays connected through the same reload.
  const kept = await registered('gw-kept');
  await connected(kept, 'gw-kept');
  const { ends } = await connected(pair, 'gw-ca');

  writeFileSync(caFile, ownCa);
  expect(gw.gateway.reloadTls('test')).toBe('reloaded');
  expect(await ends).toEqual([grpc.status.UNAUTHENTICATED, grpc.status.UNAUTHENTICATED, grpc.status.UNAUTHENTICATED]);
  expect(cutOffLine('gw-ca')).toMatchObject({ code: 'ERR_CERT_UNTRUSTED' });
  expect(gw.gateway.core.hub.isConnected('gw-kept')).toBe(true);
  expect(cutOffLine('gw-kept')).toBeUndefined();
});

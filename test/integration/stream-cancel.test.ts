/**
 * A SubscribeStatus stream whose token is being looked up in the store (a token not checked since
 * the last revocation anywhere) and that the client cancels before the answer comes must not stay
 * subscribed: its 'cancelled' and 'close' events fired before the handler could listen for them.
 */
import * as grpc from '@grpc/grpc-js';
import { GatewayService } from '../../src/gen/gsdk/gateway/gateway';
import { closeAllClients, loginClient, makeClient, metadataWith, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
let live = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme', gatewayIds: ['gw-1'] }] });
  const { hub, store } = gw.gateway.core;
  // Count the status hub's live subscriptions.
  const subscribe = hub.subscribe.bind(hub);
  hub.subscribe = (accept, size, sink) => {
    live++;
    const unsubscribe = subscribe(accept, size, sink);
    let done = false;
    return () => {
      if (!done) live--;
      done = true;
      unsubscribe();
    };
  };
  // Revocation lookups take a database round trip (50 ms) instead of SQLite's microseconds.
  const isTokenRevoked = store.isTokenRevoked.bind(store);
  store.isTokenRevoked = (jti) => sleep(50).then(() => isTokenRevoked(jti));
});

afterAll(async () => {
  closeAllClients();
  await gw.close();
});

type Subscribe = (request: unknown, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>;

it('drops the subscription of a stream cancelled while its token was looked up', async () => {
  const pair = gw.pki.tenant('acme');
  const login = loginClient(gw.address, gw.pki.caPem, pair);
  const { jwtToken } = await unary<{ jwtToken: string }>(login, 'login', { tenantCert: pair.certPem });
  const { jwtToken: other } = await unary<{ jwtToken: string }>(login, 'login', { tenantCert: pair.certPem });
  const gateway = makeClient(GatewayService, gw.address, gw.pki.caPem, pair);
  const subscribe = (gateway.subscribeStatus as Subscribe).bind(gateway);

  // A stream on a token checked at once subscribes, and unsubscribes when cancelled.
  const warm = subscribe({ queueSize: 0 }, metadataWith(jwtToken));
  warm.on('error', () => undefined);
  await sleep(100);
  expect(live).toBe(1);
  warm.cancel();
  await sleep(100);
  expect(live).toBe(0);

  // Any logout moves the revocation epoch, so the next use of jwtToken asks the store (50 ms).
  await unary(login, 'logout', {}, metadataWith(other));
  const cold = subscribe({ queueSize: 0 }, metadataWith(jwtToken));
  cold.on('error', () => undefined);
  await sleep(15);
  cold.cancel();
  await sleep(300);
  expect(live).toBe(0);

  // The token itself is still good: a new stream subscribes.
  const again = subscribe({ queueSize: 0 }, metadataWith(jwtToken));
  again.on('error', () => undefined);
  await sleep(150);
  expect(live).toBe(1);
  again.cancel();
  await sleep(100);
  expect(live).toBe(0);
});

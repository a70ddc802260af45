/**
 * SubscribeStatus while its token is looked up in the store (a token not checked since the last
 * revocation anywhere). A stream the client cancels before the answer comes must not stay
 * subscribed (its 'cancelled' and 'close' events fired before the handler could listen for them);
 * a store that cannot answer the stream's periodic recheck must not end it; a revocation must.
 */
import * as grpc from '@grpc/grpc-js';
import { StoreUnavailable } from '../../src/errors';
import { GatewayService } from '../../src/gen/gsdk/gateway/gateway';
import { closeAllClients, loginClient, makeClient, metadataWith, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
let live = 0;
let storeDown = false;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme', gatewayIds: ['gw-1'] }] });
  const { hub, store } = gw.gateway.core;
  // Count the status hub's live subscriptions.
  const subscribe = hub.subscribe.bind(hub);
  hub.subscribe = (accept, size, sink, tenantId) => {
    live++;
    const unsubscribe = subscribe(accept, size, sink, tenantId);
    let done = false;
    return () => {
      if (!done) live--;
      done = true;
      unsubscribe();
    };
  };
  // Revocation lookups take a database round trip (50 ms) instead of SQLite's microseconds, and
  // fail while `storeDown` is set.
  const isTokenRevoked = store.isTokenRevoked.bind(store);
  store.isTokenRevoked = (jti) =>
    sleep(50).then(() => (storeDown ? Promise.reject(new StoreUnavailable('the database is unavailable (test)')) : isTokenRevoked(jti)));
});

afterAll(async () => {
  closeAllClients();
  await gw.close();
});

type Subscribe = (request: unknown, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>;

/** Two tokens of one tenant certificate (a logout with `other` moves the revocation epoch) and a Gateway client. */
async function twoLogins() {
  const pair = gw.pki.tenant('acme');
  const login = loginClient(gw.address, gw.pki.caPem, pair);
  const { jwtToken } = await unary<{ jwtToken: string }>(login, 'login', { tenantCert: pair.certPem });
  const { jwtToken: other } = await unary<{ jwtToken: string }>(login, 'login', { tenantCert: pair.certPem });
  return { pair, login, jwtToken, other, gateway: makeClient(GatewayService, gw.address, gw.pki.caPem, pair) };
}

it('drops the subscription of a stream cancelled while its token was looked up', async () => {
  const { login, jwtToken, other, gateway } = await twoLogins();
  const subscribe = (gateway.subscribeStatus as Subscribe).bind(gateway);
  /** Opens a stream, cancels it after `cancelAfterMs`, and says how many subscriptions were live just before and after. */
  const openAndCancel = async (cancelAfterMs: number) => {
    const stream = subscribe({ queueSize: 0 }, metadataWith(jwtToken));
    stream.on('error', () => undefined);
    await sleep(cancelAfterMs);
    const before = live;
    stream.cancel();
    await sleep(300);
    return { before, after: live };
  };

  // A stream on a token checked at once subscribes, and unsubscribes when cancelled.
  expect(await openAndCancel(100)).toEqual({ before: 1, after: 0 });
  // Any logout moves the revocation epoch, so the next use of jwtToken asks the store (50 ms):
  // cancelled before the answer, the stream never subscribes, or unsubscribes at once.
  await unary(login, 'logout', {}, metadataWith(other));
  expect((await openAndCancel(15)).after).toBe(0);
  // The token itself is still good: a new stream subscribes.
  expect(await openAndCancel(150)).toEqual({ before: 1, after: 0 });
});

it('keeps a stream whose recheck the store cannot answer, and ends it once the token is revoked', async () => {
  const { pair, login, jwtToken, other, gateway } = await twoLogins();
  const stream = (gateway.subscribeStatus as Subscribe).bind(gateway)({ queueSize: 0 }, metadataWith(jwtToken));
  let ended: grpc.StatusObject | undefined;
  stream.on('status', (s: grpc.StatusObject) => (ended = s));
  stream.on('error', () => undefined);
  await sleep(200);
  expect(live).toBe(1);

  // Another token's logout makes the stream's next recheck ask the store, which is down for 2.5 s.
  storeDown = true;
  await unary(login, 'logout', {}, metadataWith(other));
  await sleep(2500);
  expect(ended).toBeUndefined();
  expect(live).toBe(1);
  storeDown = false;

  // The stream's own token is logged out (on another connection): the next recheck ends it.
  const elsewhere = loginClient(gw.address, gw.pki.caPem, pair);
  await unary(elsewhere, 'logout', {}, metadataWith(jwtToken));
  const deadline = Date.now() + 3000;
  while (!ended && Date.now() < deadline) await sleep(50);
  expect(ended?.code).toBe(grpc.status.UNAUTHENTICATED);
  expect(live).toBe(0);
});

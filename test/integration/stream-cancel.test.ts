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

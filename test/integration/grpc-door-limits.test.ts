/**
 * What one client can make the gRPC door hold, over real TLS: streams per connection, request
 * sizes, idle connections, connections in all, silent handshakes; and which certificates get past
 * the handshake (blacklisted: none) or past Login (expired: nothing else, health and reflection
 * included).
 */
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import * as http2 from 'node:http2';
import { connect as tcpConnect, Socket } from 'node:net';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { MasterService } from '../../src/gen/gsdk/master/master';
import { openSession } from '../support/admin-session';
import { closeAllClients, codeOf, loginClient, makeClient, metadataWith, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';
import { ClientPair } from '../support/pki';
import { reflectionList as reflectionListOf } from '../support/reflection';

const STREAMS = 10;
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    tenants: [{ tenantId: 'acme', gatewayIds: ['gw-1'] }],
    config: { grpcMaxConcurrentStreams: STREAMS, grpcIdleTimeoutMs: 400, statusSubscribersPerTenant: 2 },
  });
});

afterAll(async () => {
  closeAllClients();
  await gw.close();
});

/** A raw HTTP/2 session over mutual TLS, for what a grpc-js client would never send. */
function rawSession(gateway: TestGateway, pair: ClientPair): http2.ClientHttp2Session {
  const session = http2.connect(`https://localhost:${gateway.port}`, { ca: gateway.pki.caPem, cert: pair.certPem, key: pair.keyPem });
  session.on('error', () => undefined);
  return session;
}

/** Resolves with how the value settled, or 'pending' if it has not within `ms` (a bound on a test that would hang). */
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms).unref())]);

const healthCheck = (pair: ClientPair) => unary(makeClient(healthService as grpc.ServiceDefinition, gw.address, gw.pki.caPem, pair), 'Check', { service: '' });

const reflectionList = (pair: ClientPair) => reflectionListOf(gw.address, gw.pki.caPem, pair);

describe('streams per connection', () => {
  it(`refuses streams past ${STREAMS} open at once on one connection (REFUSED_STREAM), and serves it on`, async () => {
    const session = rawSession(gw, gw.pki.tenant('acme'));
    // Opened before the server's SETTINGS arrive, so the client does not hold them back itself:
    // half-open unary calls (headers, no message) that the server would otherwise keep.
    const streams = Array.from({ length: STREAMS + 20 }, () =>
      session.request({ ':method': 'POST', ':path': '/gsdk.login.Login/Login', 'content-type': 'application/grpc', te: 'trailers' }, { endStream: false }),
    );
    let refused = 0;
    const allRefused = new Promise<void>((resolve) => {
      for (const s of streams) {
        s.on('error', () => undefined);
        s.on('close', () => {
          if (s.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM && ++refused === 20) resolve();
        });
      }
    });
    expect(await within(allRefused, 5000)).toBeUndefined();
    // The first STREAMS are still open, waiting for their message.
    expect(streams.filter((s) => !s.closed).length).toBe(STREAMS);
    expect(refused).toBe(20);
    // Not from inside the session's own callbacks: node's http2 client hangs closing streams re-entrantly.
    await new Promise((resolve) => setImmediate(resolve));
    session.destroy();
    // The gateway serves on.
    const acme = gw.pki.tenant('acme');
    expect(await unary<LoginResponse>(loginClient(gw.address, gw.pki.caPem, acme), 'login', { tenantCert: acme.certPem })).toHaveProperty('jwtToken');
  });
});

describe('request sizes, checked before the message is parsed', () => {
  it('a Login of 20 KB is RESOURCE_EXHAUSTED, not parsed (it would be INVALID_ARGUMENT)', async () => {
    const err = await codeOf(unary(loginClient(gw.address, gw.pki.caPem, gw.pki.tenant('acme')), 'login', { tenantCert: 'A'.repeat(20_000) }));
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('an UpdateDeviceList of 10,000 device IDs fits; one of 60,000 is RESOURCE_EXHAUSTED', async () => {
    const device = makeClient(MasterService, gw.address, gw.pki.caPem, gw.pki.gateway('acme', 'gw-1'));
    const fits = await codeOf(unary(device, 'updateDeviceList', { sessionID: 1, deviceIDs: Array.from({ length: 10_000 }, (_, i) => 4_000_000_000 - i) }));
    expect(fits.code).toBe(grpc.status.NOT_FOUND); // no such session: it was parsed and looked at
    const big = await codeOf(unary(device, 'updateDeviceList', { sessionID: 1, deviceIDs: Array.from({ length: 60_000 }, (_, i) => 4_000_000_000 - i) }));
    expect(big.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('anything over the largest limit is refused by grpc-js before it is buffered', async () => {
    const err = await codeOf(unary(loginClient(gw.address, gw.pki.caPem, gw.pki.tenant('acme')), 'login', { tenantCert: 'A'.repeat(300 * 1024) }));
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });
});

describe('certificates at the door', () => {
  const day = 86_400_000;

  it('an expired certificate of our CA reaches Login (which says why) and nothing else', async () => {
    const expired = gw.pki.tenant('acme', { notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) });
    const login = await codeOf(unary(loginClient(gw.address, gw.pki.caPem, expired), 'login', { tenantCert: expired.certPem }));
    expect(login.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(login.details).toMatch(/expired/);
    expect((await codeOf(healthCheck(expired))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await codeOf(reflectionList(expired))).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('a blacklisted certificate does not get past the handshake: health and reflection are unreachable', async () => {
    const acme = gw.pki.tenant('acme');
    expect(await healthCheck(acme)).toEqual({ status: 'SERVING' });
    await gw.gateway.core.store.addBlacklist([{ serial: acme.serial, tenantId: 'acme', gatewayId: null, addedAt: 0 }]);
    await gw.gateway.core.directory.refresh('blacklist');
    expect((await codeOf(healthCheck(acme))).code).toBe(grpc.status.UNAVAILABLE);
    expect((await codeOf(reflectionList(acme))).code).toBe(grpc.status.UNAVAILABLE);
  });

  it('a certificate in standing reaches health and reflection', async () => {
    const acme = gw.pki.tenant('acme');
    expect(await healthCheck(acme)).toEqual({ status: 'SERVING' });
    expect(await reflectionList(acme)).toEqual(expect.arrayContaining(['gsdk.login.Login']));
  });
});

describe('status subscribers', () => {
  it('a tenant holds at most statusSubscribersPerTenant SubscribeStatus streams; the next is RESOURCE_EXHAUSTED', async () => {
    const session = await openSession(gw, gw.pki.tenant('acme'));
    const open = () => {
      const stream = (session.gateway.subscribeStatus as (req: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<unknown>).call(
        session.gateway,
        { queueSize: 0 },
        metadataWith(session.token),
      );
      const opened = new Promise<grpc.status>((resolve) => {
        stream.on('metadata', () => resolve(grpc.status.OK));
        stream.on('error', (e: grpc.ServiceError) => resolve(e.code));
      });
      stream.on('data', () => undefined);
      return { stream, opened };
    };
    const held = [open(), open()];
    expect(await Promise.all(held.map((h) => h.opened))).toEqual([grpc.status.OK, grpc.status.OK]);
    expect(await open().opened).toBe(grpc.status.RESOURCE_EXHAUSTED);
    held[0].stream.cancel();
    // The cancelled stream's place is given back when the server sees it go.
    let again = grpc.status.RESOURCE_EXHAUSTED;
    for (let i = 0; i < 50 && again !== grpc.status.OK; i++) {
      const next = open();
      again = await next.opened;
      if (again === grpc.status.OK) next.stream.cancel();
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(again).toBe(grpc.status.OK);
    held[1].stream.cancel();
  });
});

describe('idle connections', () => {
  it('closes a connection with no call open after grpcIdleTimeoutMs', async () => {
    const session = rawSession(gw, gw.pki.tenant('acme'));
    await new Promise((resolve) => session.once('connect', resolve));
    expect(await within(new Promise((resolve) => session.once('close', () => resolve('closed'))), 5000)).toBe('closed');
  });
});

describe('connections in all, and silent handshakes', () => {
  let small: TestGateway;
  beforeAll(async () => {
    small = await startTestGateway({
      config: { grpcMaxConnections: 3, grpcHandshakeTimeoutMs: 300, grpcMaxConnectionsPerCertificate: 2 },
      tenants: [{ tenantId: 'acme' }],
    });
  });
  afterAll(() => small.close());

  const silent = () =>
    new Promise<Socket>((resolve) => {
      const s = tcpConnect(small.port, '127.0.0.1', () => resolve(s));
      s.on('error', () => undefined);
    });
  const closed = (s: Socket) => new Promise((resolve) => (s.destroyed ? resolve('closed') : s.once('close', () => resolve('closed'))));

  it('closes a TCP connection that sends no ClientHello after the handshake timeout', async () => {
    const s = await silent();
    expect(await within(closed(s), 5000)).toBe('closed');
  });

  it('closes connections past the cap at once; room is made when one closes', async () => {
    const held = await Promise.all([silent(), silent(), silent()]);
    const extra = await silent();
    expect(await within(closed(extra), 250)).toBe('closed');
    for (const s of held) s.destroy();
    await Promise.all(held.map(closed));
    const acme = small.pki.tenant('acme');
    expect(await unary<LoginResponse>(loginClient(`localhost:${small.port}`, small.pki.caPem, acme), 'login', { tenantCert: acme.certPem })).toHaveProperty('jwtToken');
    closeAllClients();
  });

  it('one address may have at most grpcMaxHandshakesPerAddress handshakes under way; a finished one makes room', async () => {
    const other = await startTestGateway({ config: { grpcMaxHandshakesPerAddress: 2, grpcHandshakeTimeoutMs: 60_000 }, tenants: [{ tenantId: 'acme' }] });
    try {
      const connect = () =>
        new Promise<Socket>((resolve) => {
          const s = tcpConnect(other.port, '127.0.0.1', () => resolve(s));
          s.on('error', () => undefined);
        });
      const held = await Promise.all([connect(), connect()]);
      const extra = await connect();
      expect(await within(closed(extra), 1000)).toBe('closed');
      expect(held.every((s) => !s.destroyed)).toBe(true);
      expect(other.logs.filter((l) => l.includes('"code":"ERR_RATE_LIMITED"'))).toHaveLength(1);
      held[0].destroy();
      await closed(held[0]);
      // One silent handshake left: a real client from the same address gets through.
      const acme = other.pki.tenant('acme');
      expect(await unary<LoginResponse>(loginClient(`localhost:${other.port}`, other.pki.caPem, acme), 'login', { tenantCert: acme.certPem })).toHaveProperty('jwtToken');
      held[1].destroy();
      closeAllClients();
    } finally {
      await other.close();
    }
  });

  it('one certificate holds at most grpcMaxConnectionsPerCertificate connections; the next is refused at the handshake', async () => {
    const acme = small.pki.tenant('acme');
    const login = (pair: ClientPair) => unary<LoginResponse>(loginClient(`localhost:${small.port}`, small.pki.caPem, pair), 'login', { tenantCert: pair.certPem });
    await login(acme);
    await login(acme);
    expect((await codeOf(login(acme))).code).toBe(grpc.status.UNAVAILABLE);
    expect(small.logs.filter((l) => l.includes('"code":"ERR_RESOURCE_EXHAUSTED"') && l.includes('TLS client refused'))).toHaveLength(1);
    // Another certificate of the same tenant has its own connections.
    expect(await login(small.pki.tenant('acme'))).toHaveProperty('jwtToken');
    closeAllClients();
  });
});

/**
 * A request that arrives on an open keep-alive connection while the bridge drains is answered 503
 * with Retry-After in its dialect's shape, echoes its X-Request-Id and gets its access line; the
 * request already running when the drain began is answered as usual. Real TLS, one raw socket.
 */
import { connect as tcpConnect } from 'node:net';
import { connect, TLSSocket } from 'node:tls';
import { startTestGateway, TestGateway } from '../support/gateway';
import { spyOnStore } from '../support/store-spy';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }] });
});
afterAll(async () => {
  await gw.close().catch(() => undefined);
});

const port = () => Number(new URL(gw.http).port);

/** Resolves once nothing listens on the port any more (the close began: preClose has run). */
async function untilRefused(): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port(), '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(true));
    });
    if (refused) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the HTTP listener never closed');
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses the HTTP/1.1 answers (Content-Length bodies) in what the socket received. */
function answersIn(raw: string): Answer[] {
  const out: Answer[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length']);
    out.push({ status: Number(statusLine.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

it('answers a request arriving during the drain 503 with its request id, Retry-After and an access line; the running one completes', async () => {
  const socket: TLSSocket = await new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: port(), ca: gw.pki.caPem, servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
  });
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));

  // The first request (a refused login) is held in its audit write, so the drain has to wait for it.
  const audit = spyOnStore(gw.gateway.core.store, 'recordAudit');
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const reached = new Promise<void>((resolve) => {
    const original = audit.getMockImplementation()!;
    audit.mockImplementation(async (...args: unknown[]) => {
      resolve();
      await held;
      return original(...args);
    });
  });
  const body = JSON.stringify({ username: 'nobody', password: 'wrong' });
  socket.write(`POST /api/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nX-Request-Id: drain-1\r\n\r\n${body}`);
  await reached;

  const closing = gw.close();
  await untilRefused();
  // Answered during the drain whether it is read before or after the first one's answer (the connection
  // stays open for it either way: only idle connections are closed when the drain begins).
  socket.write('GET /api/nowhere HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: drain-2\r\n\r\n');
  release();
  await closed;
  await closing;
  audit.mockRestore();

  const lines = () => gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'http request');
  const [first, second] = answersIn(received);
  expect(first).toMatchObject({ status: 401, headers: { 'x-request-id': 'drain-1' } });
  expect(second).toMatchObject({ status: 503, headers: { 'x-request-id': 'drain-2', 'retry-after': '1', 'strict-transport-security': expect.any(String), connection: 'close' } });
  expect(JSON.parse(second.body)).toMatchObject({ code: 503 });
  expect(lines().find((l) => l.requestId === 'drain-2')).toMatchObject({ method: 'GET', route: '/api/nowhere', status: 503, dialect: 'datarhei' });
  expect(lines().find((l) => l.requestId === 'drain-1')).toMatchObject({ status: 401, route: '/api/login' });
});

import { connect, Socket } from 'node:net';
import { get } from 'node:http';
import pino from 'pino';
import { OPS_MAX_CONNECTIONS, OpsServer, startOpsServer } from '../../../src/ops/ops-server';

const sources = { registry: { metrics: async () => '', contentType: 'text/plain' }, notReady: () => [] };

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

const closedWithin = (s: Socket, ms: number) =>
  new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

const status = (port: number) =>
  new Promise<number>((resolve, reject) => get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).once('error', reject));

let server: OpsServer;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startOpsServer(sources, '127.0.0.1', 0, pino({ level: 'silent' }));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await server.close();
});

it(`holds at most ${OPS_MAX_CONNECTIONS} connections: the next is closed at accept, and a freed slot serves again`, async () => {
  for (let i = 0; i < OPS_MAX_CONNECTIONS; i++) sockets.push(await open(server.port));
  const extra = await open(server.port);
  sockets.push(extra);
  expect(await closedWithin(extra, 2000)).toBe(true);
  // The held ones are still open.
  expect(sockets.slice(0, OPS_MAX_CONNECTIONS).every((s) => !s.destroyed)).toBe(true);
  const held = sockets.shift()!;
  held.destroy();
  await new Promise((r) => setTimeout(r, 50)); // the server hears of the close
  expect(await status(server.port)).toBe(200);
});

#!/usr/bin/env node
/**
 * What half-open gRPC streams make the gateway hold: a client opens CONNECTIONS mutual-TLS
 * connections with one tenant certificate and, on each, STREAMS unary Login calls that send headers
 * and never their message. Prints the gateway process's RSS before, with the streams open, and 5 s
 * after the client went away.
 *
 *   npm run build --silent
 *   node bench/half-open-streams.js [--connections 10] [--streams 10000] [--unbounded]
 *
 * --unbounded lifts the stream and per-certificate connection limits (grpcMaxConcurrentStreams
 * 10000, grpcMaxConnectionsPerCertificate 1000000), as before they existed. A rough measurement,
 * not a test: the numbers go in the report that asked for them.
 */
'use strict';
const { fork } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const http2 = require('node:http2');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const dist = join(__dirname, '..', 'dist');

async function serve() {
  // Keeps this process up while the gateway starts (nothing else holds the event loop then).
  setInterval(() => undefined, 1000);
  const { loadConfig } = require(join(dist, 'config'));
  const { startGateway } = require(join(dist, 'gateway'));
  const { createLogger } = require(join(dist, 'logger'));
  const { initPki } = require(join(dist, 'pki', 'cert-dir'));
  const { issueLeaf } = require(join(dist, 'pki', 'authority'));
  const dir = process.env.BENCH_DIR;
  const { ca } = initPki(join(dir, 'certs'));
  const unbounded = process.env.BENCH_UNBOUNDED === '1';
  const config = loadConfig(
    {},
    {
      certDir: join(dir, 'certs'),
      dataDir: join(dir, 'data'),
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      httpPort: -1,
      logLevel: 'silent',
      ...(unbounded ? { grpcMaxConcurrentStreams: 10_000, grpcMaxConnectionsPerCertificate: 1_000_000 } : {}),
    },
  );
  const gw = await startGateway(config, createLogger('silent'));
  const pair = issueLeaf(ca, { kind: 'tenant', identity: { kind: 'tenant', tenantId: 'acme' } });
  process.on('message', (m) => {
    if (m === 'rss') {
      global.gc?.();
      process.send({ rss: process.memoryUsage().rss, connections: gw.grpc.peers.connections() });
    }
    if (m === 'stop') gw.close().then(() => process.exit(0));
  });
  process.send({ port: gw.grpcPort, ca: ca.certPem, cert: pair.certPem, key: pair.keyPem });
}

const ask = (child, what) => new Promise((resolve) => child.once('message', resolve) && child.send(what));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes) => `${(bytes / 1048576).toFixed(0)} MB`;

async function main() {
  const connections = arg('connections', 10);
  const streams = arg('streams', 10_000);
  const unbounded = process.argv.includes('--unbounded');
  const dir = mkdtempSync(join(tmpdir(), 'mgw-halfopen-'));
  const server = fork(__filename, ['--serve'], { env: { ...process.env, BENCH_DIR: dir, BENCH_UNBOUNDED: unbounded ? '1' : '0' }, execArgv: ['--expose-gc'] });
  const { port, ca, cert, key } = await new Promise((resolve) => server.once('message', resolve));
  await sleep(1000);
  const before = await ask(server, 'rss');
  const sessions = [];
  let opened = 0;
  let refusedSessions = 0;
  for (let c = 0; c < connections; c++) {
    const session = http2.connect(`https://localhost:${port}`, { ca, cert, key, peerMaxConcurrentStreams: 100_000, maxSessionMemory: 1000 });
    session.on('error', () => undefined);
    session.on('close', () => refusedSessions++);
    sessions.push(session);
    for (let s = 0; s < streams; s++) {
      const req = session.request({ ':method': 'POST', ':path': '/gsdk.login.Login/Login', 'content-type': 'application/grpc', te: 'trailers' }, { endStream: false });
      req.on('error', () => undefined);
      req.on('ready', () => opened++);
    }
    await sleep(50);
  }
  await sleep(5000);
  const held = await ask(server, 'rss');
  const closedByServer = refusedSessions;
  for (const s of sessions) s.destroy();
  await sleep(5000);
  const after = await ask(server, 'rss');
  await new Promise((resolve) => server.once('exit', resolve) && server.send('stop'));
  rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      limits: unbounded ? 'unbounded' : 'defaults',
      asked: { connections, streamsPerConnection: streams },
      streamsSentByClient: opened,
      connectionsAdmitted: held.connections,
      connectionsClosedByServer: closedByServer,
      rss: { before: mb(before.rss), held: mb(held.rss), afterClose: mb(after.rss) },
    }),
  );
  process.exit(0);
}

if (process.argv.includes('--serve')) serve();
else main();

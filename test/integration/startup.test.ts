/** `master-gateway serve` on a fresh machine, and its refusal to start on TLS files clients would trip over. */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { issueLeaf } from '../../src/pki/authority';
import { initPki } from '../../src/pki/cert-dir';
import { BIN, cli, serve } from '../support/cli';
import * as grpc from '@grpc/grpc-js';
import { GatewayService } from '../../src/gen/gsdk/gateway/gateway';
import { closeAllClients, loginClient, makeClient, metadataWith, unary } from '../support/clients';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mgw-start-'));
});
afterEach(() => {
  closeAllClients();
  rmSync(root, { recursive: true, force: true });
});

// Not the default ./certs, so the dev PKI is asked for (test/integration/fail-closed-start.test.ts covers the default).
const envFor = (dir: string) => ({ GATEWAY_CERT_DIR: join(dir, 'certs'), GATEWAY_DATA_DIR: join(dir, 'data'), GATEWAY_DEV_PKI: 'true' });

it('first start on an empty directory makes a dev PKI and an embedded database, says so, and serves', async () => {
  const server = await serve(envFor(root));
  try {
    expect(server.output()).toMatch(/no CA found: created a development PKI/);
    expect(existsSync(join(root, 'data', 'gateway.db'))).toBe(true);
    const certs = join(root, 'certs');
    const admin = { certPem: readFileSync(join(certs, 'admin.crt'), 'utf8'), keyPem: readFileSync(join(certs, 'admin_key.pem'), 'utf8') };
    const client = loginClient(`localhost:${server.port}`, readFileSync(join(certs, 'ca.crt'), 'utf8'), admin);
    expect((await unary<LoginResponse>(client, 'login', { tenantCert: admin.certPem })).jwtToken).toMatch(/^ey/);
  } finally {
    closeAllClients();
    expect(await server.stop()).toBe(0);
  }
  // The second start reuses the PKI instead of making a new one.
  const again = await serve(envFor(root));
  expect(again.output()).not.toMatch(/created a development PKI/);
  expect(await again.stop()).toBe(0);
});

it('SIGTERM drains: an open status stream is ended with UNAVAILABLE (retry elsewhere), health turns NOT_SERVING, and the process exits 0', async () => {
  const server = await serve(envFor(root));
  const certs = join(root, 'certs');
  const admin = { certPem: readFileSync(join(certs, 'admin.crt'), 'utf8'), keyPem: readFileSync(join(certs, 'admin_key.pem'), 'utf8'), serial: 0n };
  const ca = readFileSync(join(certs, 'ca.crt'), 'utf8');
  const address = `localhost:${server.port}`;
  const token = (await unary<LoginResponse>(loginClient(address, ca, admin), 'login', { tenantCert: admin.certPem })).jwtToken;
  const gateway = makeClient(GatewayService, address, ca, admin);
  const stream = (gateway.subscribeStatus as (r: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<unknown>)({ queueSize: 0 }, metadataWith(token));
  await new Promise((r) => stream.once('metadata', r));
  const ended = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
  stream.on('data', () => undefined);
  stream.on('error', () => undefined);
  const exit = server.stop('SIGTERM');
  expect((await ended).code).toBe(grpc.status.UNAVAILABLE);
  expect(await exit).toBe(0);
  expect(server.output()).toMatch(/draining in-flight calls/);
  closeAllClients();
});

it('refuses to start on an expired server certificate, naming the file', () => {
  const certs = join(root, 'certs');
  const { ca } = initPki(certs);
  const expired = issueLeaf(ca, { kind: 'server', names: ['localhost'] }, { notBefore: new Date(Date.now() - 2 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
  writeFileSync(join(certs, 'server.crt'), expired.certPem);
  writeFileSync(join(certs, 'server_key.pem'), expired.keyPem);
  const r = cli(['serve'], { ...envFor(root), GATEWAY_GRPC_PORT: '0' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/server\.crt: expired on/);
});

it('refuses to start when the server key does not belong to the certificate, naming the key file', () => {
  const certs = join(root, 'certs');
  initPki(certs);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(certs, 'server_key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const r = cli(['serve'], { ...envFor(root), GATEWAY_GRPC_PORT: '0' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/server_key\.pem: does not belong to .*server\.crt/);
});

it('lists every configuration problem at once', () => {
  const r = cli(['serve'], { ...envFor(root), GATEWAY_GRPC_PORT: 'abc', GATEWAY_LOG_LEVEL: 'loud', GATEWAY_TOKEN_TTL_SECONDS: '5' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/GATEWAY_GRPC_PORT/);
  expect(r.stderr).toMatch(/GATEWAY_LOG_LEVEL/);
  expect(r.stderr).toMatch(/GATEWAY_TOKEN_TTL_SECONDS/);
  expect(existsSync(join(root, 'data'))).toBe(false);
});

/** Something else listening on a port of 127.0.0.1 for the duration of `body`. */
async function withPortTaken(body: (port: number) => void): Promise<void> {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  try {
    body((blocker.address() as { port: number }).port);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
}

/**
 * `serve` run to its end. A half-started gateway would never end (it even outlived SIGTERM), so it is
 * killed after 30 s and the status is then null.
 */
function serveToEnd(env: NodeJS.ProcessEnv, args: string[] = []): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'serve', ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  return { status: r.status, stderr: r.stderr };
}

const listenEnv = (grpcPort: number, httpPort: number) => ({
  ...envFor(root),
  GATEWAY_GRPC_HOST: '127.0.0.1',
  GATEWAY_GRPC_PORT: String(grpcPort),
  GATEWAY_HTTP_HOST: '127.0.0.1',
  GATEWAY_HTTP_PORT: String(httpPort),
  GATEWAY_OPS_PORT: '0',
});

it('a taken HTTP port ends serve with exit 1 and a line naming the door, the address and the setting; nothing stays running', async () => {
  initPki(join(root, 'certs'));
  await withPortTaken((port) => {
    const r = serveToEnd(listenEnv(0, port));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot listen for HTTPS on 127.0.0.1:${port}: the port is already in use (EADDRINUSE); free it or change GATEWAY_HTTP_PORT`);
  });
});

it('a taken gRPC port ends serve the same way', async () => {
  initPki(join(root, 'certs'));
  await withPortTaken((port) => {
    const r = serveToEnd(listenEnv(port, 0));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot listen for gRPC on 127.0.0.1:${port}: the port is already in use (EADDRINUSE); free it or change GATEWAY_GRPC_PORT`);
  });
});

it('with --workers, a port taken before any worker served ends the primary too, non-zero, instead of restarting workers forever', async () => {
  initPki(join(root, 'certs'));
  await withPortTaken((port) => {
    const r = serveToEnd(listenEnv(0, port), ['--workers', '2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot listen for HTTPS on 127.0.0.1:${port}`);
  });
});

it('refuses to start when GATEWAY_HTTP_CERT cannot be read, naming the file', () => {
  initPki(join(root, 'certs'));
  const missing = join(root, 'public.crt');
  const r = serveToEnd({ ...listenEnv(0, 0), GATEWAY_HTTP_CERT: missing, GATEWAY_HTTP_KEY: join(root, 'public.key') });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(`${missing}: cannot be read (ENOENT)`);
});

it('serves HTTPS on the HTTP port by default and says so; GATEWAY_HTTP_TLS=off serves plaintext with a warning at start', async () => {
  initPki(join(root, 'certs'));
  const tls = await serve(envFor(root));
  const tlsOutput = tls.output();
  expect(await tls.stop()).toBe(0);
  expect(tlsOutput).toMatch(/"httpTls":true.*"msg":"master gateway serving"/);
  expect(tlsOutput).not.toMatch(/plaintext/);
  const plain = await serve({ ...envFor(root), GATEWAY_HTTP_TLS: 'off' });
  const plainOutput = plain.output();
  expect(await plain.stop()).toBe(0);
  expect(plainOutput).toMatch(/"level":40.*"GATEWAY_HTTP_TLS":"off".*serves plaintext/);
});

/** `master-gateway serve` on a fresh machine, and its refusal to start on TLS files clients would trip over. */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { issueLeaf } from '../../src/pki/authority';
import { initPki } from '../../src/pki/cert-dir';
import { cli, serve } from '../support/cli';
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

it('SIGTERM drains: an open status stream is ended cleanly, health turns NOT_SERVING, and the process exits 0', async () => {
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
  expect((await ended).code).toBe(grpc.status.OK);
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

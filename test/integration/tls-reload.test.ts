/**
 * A running gateway renews its server certificate without a dropped call: a status stream and unary
 * calls on a connection opened before the reload go on, new connections (gRPC and HTTPS) get the new
 * certificate, bad files are refused and the old certificate stays served, and a CA rollover moves
 * client verification with ca.crt.
 */
import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Agent, request } from 'node:https';
import { createAuthority, issueLeaf } from '../../src/pki/authority';
import { pairFiles, SERVER_BASE } from '../../src/pki/cert-dir';
import { issueServerCertificate } from '../../src/pki/server-certificate';
import { TLS_RELOAD_REFUSED } from '../../src/tls-reload';
import { openSession } from '../support/admin-session';
import { closeAllClients, codeOf, loginClient, metadataWith, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';
import { ClientPair } from '../support/pki';

let gw: TestGateway;
let certDir: string;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme', gatewayIds: ['gw-1'] }] });
  certDir = join(gw.pki.dir, 'certs');
});

afterAll(async () => {
  closeAllClients();
  await gw.close();
});

/** The certificate a new TLS client is served (a handshake only; no HTTP/2 spoken). */
function servedCertificate(port: number, caPem: string, client?: Pick<ClientPair, 'certPem' | 'keyPem'>): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost', cert: client?.certPem, key: client?.keyPem, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      const leaf = socket.getPeerX509Certificate();
      socket.destroy();
      if (leaf) resolve(leaf);
      else reject(new Error('no server certificate'));
    });
    socket.on('error', reject);
  });
}

const httpPort = () => Number(new URL(gw.http).port);
const serverFile = () => readFileSync(pairFiles(certDir, SERVER_BASE).cert, 'utf8');

async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** GET on one kept-alive socket; resolves with the status and the local port (the same port = the same connection). */
function get(agent: Agent, path: string): Promise<{ status: number; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`https://127.0.0.1:${httpPort()}${path}`, { agent, servername: 'localhost' }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, localPort: req.socket?.localPort ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('renewing the server certificate under a running gateway', () => {
  it('keeps calls in flight on gRPC and HTTPS, and new connections get the new certificate (picked up from the directory by itself)', async () => {
    const before = new X509Certificate(serverFile());
    expect((await servedCertificate(gw.port, gw.pki.caPem, gw.pki.admin)).serialNumber).toBe(before.serialNumber);

    const session = await openSession(gw, gw.pki.admin);
    const stream = (session.gateway.subscribeStatus as (r: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<unknown>)({ queueSize: 0 }, metadataWith(session.token));
    let streamEnded: unknown;
    stream.on('error', (e) => (streamEnded = e));
    stream.on('end', () => (streamEnded = 'end'));
    await new Promise((r) => stream.once('metadata', r));
    await session.call('gateway', 'get', { gatewayIDs: ['gw-1'] });

    const agent = new Agent({ ca: gw.pki.caPem, keepAlive: true, maxSockets: 1 });
    const first = await get(agent, '/.well-known/jwks.json');
    expect(first.status).toBe(200);

    const renewed = issueServerCertificate(gw.pki.ca, certDir, { names: [] });
    await until(async () => (await servedCertificate(gw.port, gw.pki.caPem, gw.pki.admin)).serialNumber === renewed.issued.cert.serialNumber);
    expect((await servedCertificate(httpPort(), gw.pki.caPem)).serialNumber).toBe(renewed.issued.cert.serialNumber);
    expect(gw.logs.join('')).toMatch(/"trigger":"file change".*TLS certificate reloaded/);

    // The connections made before the reload go on: the stream is open, unary calls answer on it.
    for (let i = 0; i < 5; i++) await session.call('gateway', 'get', { gatewayIDs: ['gw-1'] });
    expect(streamEnded).toBeUndefined();
    const again = await get(agent, '/.well-known/jwks.json');
    expect(again).toEqual({ status: 200, localPort: first.localPort });
    // A client that only has the old ca.crt verifies the renewed certificate: same CA.
    const fresh = loginClient(gw.address, gw.pki.caPem, gw.pki.admin);
    await unary(fresh, 'login', { tenantCert: gw.pki.admin.certPem });
    stream.cancel();
    agent.destroy();
  });

  it('refuses bad files with a warning and keeps serving the certificate in force', async () => {
    const served = await servedCertificate(gw.port, gw.pki.caPem, gw.pki.admin);
    const files = pairFiles(certDir, SERVER_BASE);
    const good = { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
    const other = issueLeaf(gw.pki.ca, { kind: 'server', names: ['localhost'] });
    const tenant = gw.pki.tenant('acme');
    const expiring = issueLeaf(gw.pki.ca, { kind: 'server', names: ['localhost'] }, { notAfter: new Date(gw.clock.now + 86_400_000) });
    const cases: [string, { cert: string; key: string }, RegExp, () => void][] = [
      ['a key of another certificate', { cert: other.certPem, key: good.key }, /does not belong to/, () => undefined],
      ['half a file', { cert: other.certPem.slice(0, 400), key: other.keyPem }, /not a readable PEM certificate/, () => undefined],
      ['a client certificate', { cert: tenant.certPem, key: tenant.keyPem }, /no DNS name or IP address/, () => undefined],
      ['an expired certificate', { cert: expiring.certPem, key: expiring.keyPem }, /expired on/, () => gw.clock.advance(2 * 86_400_000)],
      ['a CA certificate', { cert: gw.pki.caPem, key: good.key }, /is a CA certificate/, () => undefined],
    ];
    try {
      for (const [what, pair, reason, before] of cases) {
        before();
        writeFileSync(files.key, pair.key, { mode: 0o600 });
        writeFileSync(files.cert, pair.cert);
        gw.logs.length = 0;
        expect([what, gw.gateway.reloadTls('test')]).toEqual([what, 'refused']);
        const line = gw.logs.find((l) => l.includes(TLS_RELOAD_REFUSED));
        expect(line).toMatch(reason);
        expect(line).not.toMatch(/PRIVATE KEY/);
        expect((await servedCertificate(gw.port, gw.pki.caPem, gw.pki.admin)).serialNumber).toBe(served.serialNumber);
        expect((await servedCertificate(httpPort(), gw.pki.caPem)).serialNumber).toBe(served.serialNumber);
      }
    } finally {
      gw.clock.now = Date.now();
      writeFileSync(files.key, good.key, { mode: 0o600 });
      writeFileSync(files.cert, good.cert);
    }
    expect(gw.gateway.reloadTls('test')).toBe('unchanged');
  });

  it('a CA rollover: both CAs in ca.crt trust clients of either, the new ca_key.pem issues; removing the old one distrusts its clients, open connections included', async () => {
    const caFile = join(certDir, 'ca.crt');
    const oldCaPem = readFileSync(caFile, 'utf8');
    const next = createAuthority();
    const nextTenant = issueLeaf(next, { kind: 'tenant', identity: { kind: 'tenant', tenantId: 'acme' } });
    const oldTenant = gw.pki.tenant('acme');
    const bundle = `${oldCaPem}${next.certPem}`;

    // Before: a client of the new CA is refused at the handshake.
    expect((await codeOf(unary(loginClient(gw.address, bundle, nextTenant), 'login', { tenantCert: nextTenant.certPem }))).code).toBe(grpc.status.UNAVAILABLE);
    const oldSession = loginClient(gw.address, bundle, oldTenant);
    const oldToken = (await unary<{ jwtToken: string }>(oldSession, 'login', { tenantCert: oldTenant.certPem })).jwtToken;

    const admin = await openSession(gw, gw.pki.admin);
    writeFileSync(caFile, bundle);
    writeFileSync(join(certDir, 'ca_key.pem'), next.keyPem, { mode: 0o600 });
    expect(gw.gateway.reloadTls('test')).toBe('reloaded');
    // CreateCertificate issues with the CA the new ca_key.pem belongs to.
    const created = await admin.call<{ tenantCert: string }>('tenant', 'createCertificate', { tenantID: 'acme', expireAfterYears: 1 });
    expect(new X509Certificate(created.tenantCert).checkIssued(next.cert)).toBe(true);
    await unary(loginClient(gw.address, bundle, nextTenant), 'login', { tenantCert: nextTenant.certPem });
    await unary(loginClient(gw.address, bundle, oldTenant), 'login', { tenantCert: oldTenant.certPem });
    await unary(oldSession, 'logout', {}, metadataWith(oldToken)).catch(() => undefined);
    const token = (await unary<{ jwtToken: string }>(oldSession, 'login', { tenantCert: oldTenant.certPem })).jwtToken;

    // The server certificate moves to the new CA; then the old CA leaves the file.
    const renewed = issueServerCertificate(next, certDir, { names: [] });
    expect(gw.gateway.reloadTls('test')).toBe('reloaded');
    expect((await servedCertificate(gw.port, bundle, nextTenant)).serialNumber).toBe(renewed.issued.cert.serialNumber);
    writeFileSync(caFile, next.certPem);
    expect(gw.gateway.reloadTls('test')).toBe('reloaded');
    expect((await codeOf(unary(oldSession, 'logout', {}, metadataWith(token)))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await codeOf(unary(loginClient(gw.address, next.certPem, oldTenant), 'login', { tenantCert: oldTenant.certPem }))).code).toBe(grpc.status.UNAVAILABLE);
    await unary(loginClient(gw.address, next.certPem, nextTenant), 'login', { tenantCert: nextTenant.certPem });
  });
});

/**
 * The HTTP bridge's transport: HTTPS by default with HSTS, another certificate when GATEWAY_HTTP_CERT/KEY
 * name one (checked at start), plaintext only when GATEWAY_HTTP_TLS=off (with a warning), and the bounds
 * an unauthenticated caller meets before any request: the handshake timeout and the connection cap.
 */
import { X509Certificate } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { connect as netConnect, Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { GatewayError } from '../../src/errors';
import { HSTS } from '../../src/http/http-server';
import { createAuthority, issueLeaf } from '../../src/pki/authority';
import { startTestGateway, TestGateway } from '../support/gateway';
import { http, trust } from '../support/http';
import { makeTestPki, TestPki } from '../support/pki';

const portOf = (base: string) => Number(new URL(base).port);

/** A plain-HTTP GET; resolves with the status, rejects when the connection fails or is cut. */
function plainGet(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

/** Completes a TLS handshake trusting `caPem`; resolves with the server's leaf, rejects on any TLS failure. */
function handshake(port: number, caPem: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' }, () => {
      const cert = socket.getPeerX509Certificate()!;
      socket.destroy();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}

/** A TCP connection that never sends a byte (no ClientHello). */
function idleSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.on('error', reject);
  });
}

const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('HTTPS by default', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('serves the gateway server certificate to a client trusting ca.crt, without asking it for one', async () => {
    expect(gw.http).toMatch(/^https:/);
    const leaf = await handshake(portOf(gw.http), gw.pki.caPem);
    expect(leaf.fingerprint256).toBe(new X509Certificate(gw.pki.server.certPem).fingerprint256);
    expect((await http(gw.http, 'GET', '/.well-known/jwks.json')).status).toBe(200);
  });

  it('plain HTTP to the HTTPS port gets no answer', async () => {
    await expect(plainGet(portOf(gw.http), '/api')).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('every HTTPS answer carries HSTS: routes, unknown routes and dialect errors, bodies unchanged', async () => {
    const ok = await http(gw.http, 'GET', '/.well-known/jwks.json');
    const notFound = await http(gw.http, 'GET', '/nothing/here');
    const badLogin = await http(gw.http, 'POST', '/api/login', { raw: '{', type: 'application/json' });
    for (const r of [ok, notFound, badLogin]) expect(r.headers.get('strict-transport-security')).toBe(HSTS);
    // Nothing but the public JWKS may be cached (RFC 6749 §5.1 for token answers).
    expect(ok.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    for (const r of [notFound, badLogin]) expect([r.headers.get('cache-control'), r.headers.get('pragma')]).toEqual(['no-store', 'no-cache']);
    expect(notFound.status).toBe(404);
    expect(badLogin.json).toEqual({ code: 400, message: 'Bad Request', details: ['Missing authorization credentials'] });
  });
});

describe('GATEWAY_HTTP_CERT / GATEWAY_HTTP_KEY', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki.cleanup());

  /** A pair from another CA (a stand-in for a public one), written beside the test PKI. */
  function writePair(name: string, options: Parameters<typeof issueLeaf>[2] = {}) {
    const ca = createAuthority();
    const leaf = issueLeaf(ca, { kind: 'server', names: ['localhost', '127.0.0.1'] }, options);
    const files = { httpCert: join(pki.dir, `${name}.crt`), httpKey: join(pki.dir, `${name}.key`) };
    writeFileSync(files.httpCert, leaf.certPem);
    writeFileSync(files.httpKey, leaf.keyPem, { mode: 0o600 });
    return { caPem: ca.certPem, leaf, files };
  }

  it('serves the named certificate on the HTTP bridge instead of server.crt', async () => {
    const other = writePair('public');
    const gw = await startTestGateway({ pki, config: other.files });
    try {
      const leaf = await handshake(portOf(gw.http), other.caPem);
      expect(leaf.fingerprint256).toBe(new X509Certificate(other.leaf.certPem).fingerprint256);
      await expect(handshake(portOf(gw.http), pki.caPem)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      const base = trust(`https://127.0.0.1:${portOf(gw.http)}`, other.caPem);
      expect((await http(base, 'GET', '/.well-known/jwks.json')).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it('a renewed GATEWAY_HTTP_CERT pair is picked up from its directory by itself; the gRPC door keeps server.crt', async () => {
    const first = writePair('renewed');
    const gw = await startTestGateway({ pki, config: first.files });
    try {
      const ca = createAuthority();
      const renewed = issueLeaf(ca, { kind: 'server', names: ['localhost', '127.0.0.1'] });
      // As certbot and `certs server` do: whole files put in place by rename.
      for (const [file, text] of [[first.files.httpKey, renewed.keyPem], [first.files.httpCert, renewed.certPem]]) {
        writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
        renameSync(`${file}.tmp`, file);
      }
      const end = Date.now() + 5000;
      let leaf = await handshake(portOf(gw.http), first.caPem).catch(() => undefined);
      while (leaf && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
        leaf = await handshake(portOf(gw.http), first.caPem).catch(() => undefined);
      }
      expect((await handshake(portOf(gw.http), ca.certPem)).serialNumber).toBe(renewed.cert.serialNumber);
      expect(gw.gateway.tls().server.serialNumber).toBe(new X509Certificate(pki.server.certPem).serialNumber);
    } finally {
      await gw.close();
    }
  });

  /** The start's ConfigInvalid error. */
  async function refusal(config: Record<string, unknown>): Promise<GatewayError> {
    const err = await startTestGateway({ pki, config }).then(
      async (gw) => {
        await gw.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('ERR_CONFIG_INVALID');
    return err as GatewayError;
  }

  it('refuses to start on an expired certificate, a key of another certificate, or an unreadable file, naming the file', async () => {
    const day = 86_400_000;
    const expired = writePair('expired', { notBefore: new Date(Date.now() - 2 * day), notAfter: new Date(Date.now() - day) });
    expect((await refusal(expired.files)).message).toContain(`${expired.files.httpCert}: expired on`);

    const a = writePair('a');
    const b = writePair('b');
    expect((await refusal({ httpCert: a.files.httpCert, httpKey: b.files.httpKey })).message).toContain(`${b.files.httpKey}: does not belong to ${a.files.httpCert}`);

    const missing = join(pki.dir, 'missing.crt');
    expect((await refusal({ httpCert: missing, httpKey: a.files.httpKey })).message).toContain(`${missing}: cannot be read (ENOENT)`);

    writeFileSync(join(pki.dir, 'garbage.crt'), 'not a certificate');
    expect((await refusal({ httpCert: join(pki.dir, 'garbage.crt'), httpKey: a.files.httpKey })).message).toContain('garbage.crt: not a readable PEM certificate');
  });
});

describe('plaintext, only when GATEWAY_HTTP_TLS=off', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ config: { httpTls: 'off' } });
  });
  afterAll(() => gw.close());

  it('answers plain HTTP without HSTS, refuses TLS, and warned at start', async () => {
    expect(gw.http).toMatch(/^http:/);
    const r = await http(gw.http, 'GET', '/.well-known/jwks.json');
    expect(r.status).toBe(200);
    expect(r.headers.get('strict-transport-security')).toBeNull();
    await expect(handshake(portOf(gw.http), gw.pki.caPem)).rejects.toBeDefined();
    const warnings = gw.logs.map((line) => JSON.parse(line)).filter((l) => l.level === 40 && /plaintext/.test(l.msg));
    expect(warnings).toEqual([expect.objectContaining({ GATEWAY_HTTP_TLS: 'off' })]);
  });
});

describe('bounds before any request', () => {
  it('closes a connection that sends no ClientHello once the handshake timeout has passed', async () => {
    const gw = await startTestGateway({ config: { httpHandshakeTimeoutMs: 300 } });
    try {
      const silent = await idleSocket(portOf(gw.http));
      await closed(silent);
      // A client that does shake hands is served as usual.
      expect((await http(gw.http, 'GET', '/.well-known/jwks.json')).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it('refuses connections beyond GATEWAY_HTTP_MAX_CONNECTIONS at once, and serves again when some end', async () => {
    const gw = await startTestGateway({ config: { httpMaxConnections: 2 } });
    try {
      const port = portOf(gw.http);
      const held = [await idleSocket(port), await idleSocket(port)];
      const extra = await idleSocket(port);
      await closed(extra);
      expect(held.map((s) => s.destroyed)).toEqual([false, false]);
      held.forEach((s) => s.destroy());
      await Promise.all(held.map(closed));
      // The server counts the two closes when it reads them; until then a new connection may still be refused.
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) status = await http(gw.http, 'GET', '/.well-known/jwks.json').then((r) => r.status, () => 0);
      expect(status).toBe(200);
      expect(gw.logs.some((line) => /connection cap/.test(line))).toBe(true);
    } finally {
      await gw.close();
    }
  });
});

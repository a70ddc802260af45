/**
 * A connection's client certificate DER, read out of its TLS session, must be byte for byte what
 * getPeerCertificate() reports, for every kind of certificate and both TLS versions; anything that
 * is not a well-formed session must give undefined (the caller then reads the slow way).
 */
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { CertificateCache } from '../../../src/grpc/certificate-cache';
import { ClientCertificate } from '../../../src/core/peer';
import { peerCertificateDer } from '../../../src/pki/session-peer';
import { makeTestPki, TestPki } from '../../support/pki';

let pki: TestPki;
let server: tls.Server;
const seen: { session: Buffer | undefined; raw: Buffer }[] = [];

beforeAll(async () => {
  pki = makeTestPki();
  server = tls.createServer({ key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.caPem, requestCert: true, rejectUnauthorized: true }, (socket) => {
    seen.push({ session: socket.getSession(), raw: socket.getPeerCertificate(false).raw });
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  pki.cleanup();
});

async function handshake(pair: { certPem: string; keyPem: string }, maxVersion: tls.SecureVersion) {
  const before = seen.length;
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca: pki.caPem, cert: pair.certPem, key: pair.keyPem, servername: 'localhost', maxVersion });
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.resume();
  });
  expect(seen.length).toBe(before + 1);
  return seen[seen.length - 1];
}

const kinds: [string, () => { certPem: string; keyPem: string }][] = [
  ['an RSA tenant certificate', () => pki.tenant('acme')],
  ['an EC tenant certificate', () => pki.tenant('acme', { keyType: 'ec' })],
  ['the administrator certificate', () => pki.admin],
  ['a device gateway certificate', () => pki.gateway('acme', 'gw-1')],
];

describe.each(['TLSv1.3', 'TLSv1.2'] as tls.SecureVersion[])('over %s', (version) => {
  it.each(kinds)('finds %s in the session, equal to getPeerCertificate().raw', async (_name, make) => {
    const { session, raw } = await handshake(make(), version);
    const der = peerCertificateDer(session);
    expect(der).toBeDefined();
    expect(der!.equals(raw)).toBe(true);
  });
});

it('gives undefined for no session, empty bytes, random bytes and every truncation of a real session', async () => {
  const { session } = await handshake(pki.tenant('acme'), 'TLSv1.3');
  expect(peerCertificateDer(undefined)).toBeUndefined();
  expect(peerCertificateDer(Buffer.alloc(0))).toBeUndefined();
  for (let i = 0; i < 200; i++) {
    const noise = randomBytes(1 + (i % 64) * 16);
    const der = peerCertificateDer(noise);
    // Noise may frame by chance; what comes back is then inside the input and itself a SEQUENCE.
    if (der) expect(der[0]).toBe(0x30);
  }
  for (let cut = 0; cut < session!.length; cut++) expect(peerCertificateDer(session!.subarray(0, cut))).toBeUndefined();
});

it('gives undefined for a session without a peer certificate', () => {
  // SEQUENCE { INTEGER 1, INTEGER 0x0304, OCTET STRING 13 01 }
  const noPeer = Buffer.from([0x30, 0x0a, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04, 0x04, 0x02, 0x13, 0x01]);
  expect(peerCertificateDer(noPeer)).toBeUndefined();
});

describe('CertificateCache', () => {
  const certificate = (raw: Buffer): ClientCertificate => ({
    cert: { raw },
    serial: 1n,
    thumbprint: raw.toString('base64url'),
    identity: { kind: 'tenant', tenantId: 'acme' },
    notBefore: 0,
    notAfter: 1,
    trusted: true,
    isCa: false,
  });

  it('finds a certificate only by exactly its bytes', () => {
    const cache = new CertificateCache(8);
    const a = certificate(randomBytes(600));
    cache.set(a);
    expect(cache.get(Buffer.from(a.cert.raw))).toBe(a);
    // Same length and same last 32 bytes, one byte different at the front.
    const lookalike = Buffer.from(a.cert.raw);
    lookalike[10] ^= 0xff;
    expect(cache.get(lookalike)).toBeUndefined();
    expect(cache.get(a.cert.raw.subarray(1))).toBeUndefined();
  });

  it('keeps at most its capacity, dropping the least recently used', () => {
    const cache = new CertificateCache(3);
    const [a, b, c, d] = [1, 2, 3, 4].map(() => certificate(randomBytes(100)));
    cache.set(a);
    cache.set(b);
    cache.set(c);
    expect(cache.get(a.cert.raw)).toBe(a);
    cache.set(d);
    expect(cache.size).toBe(3);
    expect(cache.get(b.cert.raw)).toBeUndefined();
    expect(cache.get(a.cert.raw)).toBe(a);
    expect(cache.get(c.cert.raw)).toBe(c);
    expect(cache.get(d.cert.raw)).toBe(d);
  });
});

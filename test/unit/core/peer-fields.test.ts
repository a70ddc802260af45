/**
 * A connection's Peer is built from the certificate Node parsed during the TLS handshake
 * (getPeerCertificate), not from a second X509Certificate parse. Both must read the same identity,
 * serial, validity window and thumbprint, over a real TLS connection.
 */
import { X509Certificate } from 'node:crypto';
import { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { createPeer, Peer } from '../../../src/core/peer';
import { certificateFields } from '../../../src/pki/read-certificate';
import { makeTestPki, TestPki } from '../../support/pki';

let pki: TestPki;
let server: tls.Server;
let caCert: X509Certificate;
const seen: tls.PeerCertificate[] = [];

beforeAll(async () => {
  pki = makeTestPki();
  caCert = new X509Certificate(pki.caPem);
  // Client certificates are requested but not judged here: the peer of every handshake is kept.
  server = tls.createServer({ key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.caPem, requestCert: true, rejectUnauthorized: false }, (socket) => {
    seen.push(socket.getPeerCertificate(false));
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  pki.cleanup();
});

/** What the server saw of a client presenting `pair` in a handshake. */
async function presented(pair: { certPem: string; keyPem: string }): Promise<tls.PeerCertificate> {
  const before = seen.length;
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca: pki.caPem, cert: pair.certPem, key: pair.keyPem, servername: 'localhost' }, () => undefined);
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.resume();
  });
  expect(seen.length).toBe(before + 1);
  return seen[seen.length - 1];
}

const comparable = (peer: Peer) => ({
  raw: peer.cert.raw.toString('base64'),
  serial: peer.serial,
  thumbprint: peer.thumbprint,
  identity: peer.identity,
  notBefore: peer.notBefore,
  notAfter: peer.notAfter,
});

describe('Peer from the handshake certificate', () => {
  const day = 86_400_000;
  const cases: [string, () => { certPem: string; keyPem: string }][] = [
    ['the administrator certificate', () => pki.admin],
    ['a tenant certificate', () => pki.tenant('acme')],
    ['a device gateway certificate', () => pki.gateway('acme', 'gw-1')],
    ['an EC tenant certificate', () => pki.tenant('acme', { keyType: 'ec' })],
    ['an expired certificate', () => pki.tenant('acme', { notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) })],
    ['a server certificate (DNS and IP names, no tenant ID)', () => pki.server],
  ];

  it.each(cases)('reads %s exactly as an X509Certificate parse does', async (_name, make) => {
    const pair = make();
    const peerCert = await presented(pair);
    const fromHandshake = createPeer(certificateFields(peerCert), caCert);
    const fromParse = createPeer(new X509Certificate(pair.certPem), caCert);
    expect(comparable(fromHandshake)).toEqual(comparable(fromParse));
    const parsed = new X509Certificate(pair.certPem);
    expect(fromHandshake.cert.raw.equals(parsed.raw)).toBe(true);
    const fields = certificateFields(peerCert);
    expect({ ca: fields.ca, serialNumber: fields.serialNumber, subjectAltName: fields.subjectAltName }).toEqual({
      ca: parsed.ca,
      serialNumber: parsed.serialNumber,
      subjectAltName: parsed.subjectAltName,
    });
  });

  it('checks that ca.crt issued the certificate itself', async () => {
    const peerCert = await presented(pki.tenant('acme'));
    expect(createPeer(certificateFields(peerCert), caCert).trusted).toBe(true);
    const other = makeTestPki();
    try {
      expect(createPeer(certificateFields(peerCert), new X509Certificate(other.caPem)).trusted).toBe(false);
    } finally {
      other.cleanup();
    }
  });
});

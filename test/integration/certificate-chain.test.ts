/**
 * Client certificates must be issued by ca.crt itself and must not be CA certificates. Made with
 * the openssl command, as someone holding a CA:TRUE certificate of ours would: OpenSSL accepts the
 * chain leaf → intermediate → ca.crt, the gateway must not.
 */
import { status } from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAllClients, codeOf, loginClient, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';
import { itWithOpenssl, openssl } from '../unit/pki/openssl';

let gw: TestGateway;
let dir: string;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }] });
  dir = mkdtempSync(join(tmpdir(), 'mgw-chain-'));
  // openssl starts validity at "now", after the test gateway's frozen clock.
  gw.clock.now = Date.now() + 2000;
});

afterAll(async () => {
  closeAllClients();
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

const ADMIN_SAN = 'subjectAltName = email:Tenant Certificate, email:administrator\n';

/** An EC key and a certificate for it signed by `issuer` (files in dir) with these extensions. */
function issue(name: string, issuer: { cert: string; key: string }, extensions: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], dir);
  openssl(['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', join(dir, `${name}.csr`)], dir);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  const cert = join(dir, `${name}.crt`);
  const serial = String(100_000 + Math.floor(Math.random() * 1_000_000));
  openssl(['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', issuer.cert, '-CAkey', issuer.key, '-set_serial', serial, '-days', '30', '-sha256', '-extfile', join(dir, `${name}.ext`), '-out', cert], dir);
  return { cert, key };
}

const ourCa = () => ({ cert: join(gw.pki.dir, 'certs', 'ca.crt'), key: join(gw.pki.dir, 'certs', 'ca_key.pem') });
const pem = (file: string) => readFileSync(file, 'utf8');

itWithOpenssl('an administrator certificate issued by a CA:TRUE certificate that ca.crt signed does not get past the handshake', async () => {
  const intermediate = issue('intermediate', ourCa(), 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n');
  const leaf = issue('admin-leaf', intermediate, `${ADMIN_SAN}extendedKeyUsage = clientAuth\nkeyUsage = critical, digitalSignature\n`);
  // The client sends the whole chain, so OpenSSL can build it up to ca.crt.
  const pair = { certPem: pem(leaf.cert) + pem(intermediate.cert), keyPem: pem(leaf.key) };
  const err = await codeOf(unary(loginClient(gw.address, gw.pki.caPem, pair), 'login', { tenantCert: pem(leaf.cert) }));
  expect(err.code).toBe(status.UNAVAILABLE);
});

itWithOpenssl('a certificate of ca.crt that is itself CA:TRUE does not get past the handshake', async () => {
  const ca = issue('ca-leaf', ourCa(), `${ADMIN_SAN}basicConstraints = critical, CA:TRUE\nkeyUsage = critical, digitalSignature, keyCertSign\n`);
  const pair = { certPem: pem(ca.cert), keyPem: pem(ca.key) };
  const err = await codeOf(unary(loginClient(gw.address, gw.pki.caPem, pair), 'login', { tenantCert: pair.certPem }));
  expect(err.code).toBe(status.UNAVAILABLE);
});

itWithOpenssl('the same administrator leaf issued by ca.crt itself logs in (the refusals above are about the issuer)', async () => {
  const leaf = issue('admin-direct', ourCa(), `${ADMIN_SAN}extendedKeyUsage = clientAuth\nkeyUsage = critical, digitalSignature\n`);
  const pair = { certPem: pem(leaf.cert), keyPem: pem(leaf.key) };
  gw.clock.now = Date.now() + 2000;
  const res = await unary<{ jwtToken: string }>(loginClient(gw.address, gw.pki.caPem, pair), 'login', { tenantCert: pair.certPem });
  expect(res.jwtToken).toBeTruthy();
});

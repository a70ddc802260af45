/** A tenant certificate made with the openssl command, following the SAN convention, logs in like one of ours. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { closeAllClients, decodeJwt, loginClient, unary } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const itWithOpenssl = hasOpenssl ? it : it.skip;
if (!hasOpenssl) console.warn('openssl not found: skipping the openssl-made certificate test');

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }] });
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

itWithOpenssl('logs in with a certificate signed by openssl x509 -req (EC key, SEC1 → PKCS#8)', async () => {
  const dir = gw.pki.dir;
  const certs = join(dir, 'certs');
  const ext = join(dir, 'ext.cnf');
  writeFileSync(ext, 'subjectAltName = email:Tenant Certificate, email:acme\nextendedKeyUsage = clientAuth\nkeyUsage = critical, digitalSignature\n');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'o.key')]);
  openssl(['pkcs8', '-topk8', '-nocrypt', '-in', join(dir, 'o.key'), '-out', join(dir, 'o_pk8.pem')]);
  openssl(['req', '-new', '-key', join(dir, 'o.key'), '-subj', '/O=Made by openssl', '-out', join(dir, 'o.csr')]);
  openssl(['x509', '-req', '-in', join(dir, 'o.csr'), '-CA', join(certs, 'ca.crt'), '-CAkey', join(certs, 'ca_key.pem'), '-set_serial', '123456789', '-days', '30', '-sha256', '-extfile', ext, '-out', join(dir, 'o.crt')]);
  const pair = { certPem: readFileSync(join(dir, 'o.crt'), 'utf8'), keyPem: readFileSync(join(dir, 'o_pk8.pem'), 'utf8') };
  // openssl starts the validity at "now", after the test gateway's frozen clock: move the clock past it.
  gw.clock.now = Date.now() + 2000;
  const res = await unary<LoginResponse>(loginClient(gw.address, gw.pki.caPem, pair), 'login', { tenantCert: pair.certPem });
  expect(decodeJwt(res.jwtToken).payload).toMatchObject({ tenant: 'acme', role: 'tenant' });
});

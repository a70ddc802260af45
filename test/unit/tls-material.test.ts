/** ca.crt holding two CAs (a rollover): the gateway starts on it, the key's own CA issues, each certificate of the file is checked. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../../src/errors';
import { createAuthority, loadAuthority } from '../../src/pki/authority';
import { initPki } from '../../src/pki/cert-dir';
import { issueServerCertificate } from '../../src/pki/server-certificate';
import { loadTlsMaterial } from '../../src/tls-material';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mgw-tls-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('reads a ca.crt of two CAs; the server certificate may come from either; ca_key.pem picks the issuing CA', () => {
  const { ca: old } = initPki(dir, { keyType: 'ec' });
  const next = createAuthority({ keyType: 'ec' });
  writeFileSync(join(dir, 'ca.crt'), old.certPem + next.certPem);
  writeFileSync(join(dir, 'ca_key.pem'), next.keyPem, { mode: 0o600 });
  const tls = loadTlsMaterial(dir);
  expect(tls.cas.map((c) => c.serialNumber)).toEqual([old.cert.serialNumber, next.cert.serialNumber]);
  const authority = loadAuthority(tls.caPem, tls.caKeyPem!);
  expect(authority.cert.serialNumber).toBe(next.cert.serialNumber);
  expect(authority.certPem).toBe(next.cert.toString());
  const renewed = issueServerCertificate(authority, dir, { names: [], keyType: 'ec' });
  expect(renewed.issued.cert.checkIssued(next.cert)).toBe(true);
  expect(loadTlsMaterial(dir).server.serialNumber).toBe(renewed.issued.cert.serialNumber);
  expect(() => loadAuthority(old.certPem, next.keyPem)).toThrow(/does not belong/);
});

it('names the certificate of the bundle that is wrong, and a server certificate of no CA in it', () => {
  const { ca, server } = initPki(dir, { keyType: 'ec' });
  const foreign = createAuthority({ keyType: 'ec' });
  writeFileSync(join(dir, 'ca.crt'), foreign.certPem + server.certPem);
  try {
    loadTlsMaterial(dir);
    throw new Error('expected a refusal');
  } catch (err) {
    expect((err as GatewayError).code).toBe('ERR_CONFIG_INVALID');
    expect((err as Error).message).toMatch(/ca\.crt \(certificate 2 of 2\): not a CA certificate/);
    expect((err as Error).message).toMatch(/server\.crt: not issued by/);
  }
  expect(ca.cert.ca).toBe(true);
});

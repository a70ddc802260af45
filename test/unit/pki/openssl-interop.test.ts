/** readIdentity on certificates made by the openssl command with the profile's SAN convention. */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthority, issueLeaf } from '../../../src/pki/authority';
import { CertIdentity } from '../../../src/pki/profile';
import { readIdentity } from '../../../src/pki/read-certificate';
import { HAS_OPENSSL, itWithOpenssl, openssl } from './openssl';

const CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = OpenSSL Test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ca_with_email]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign
subjectAltName = email:Tenant Certificate, email:acme
[leaf]
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth, serverAuth
[admin]
subjectAltName = email:Tenant Certificate, email:administrator
[tenant]
subjectAltName = email:Tenant Certificate, email:acme
[gateway]
subjectAltName = email:Gateway Certificate, email:acme, email:gw-1
[server]
subjectAltName = DNS:localhost, IP:127.0.0.1
[bad_tenant]
subjectAltName = email:Tenant Certificate, email:acme*evil
[bad_gateway]
subjectAltName = email:Gateway Certificate, email:acme, email:gw/1
`;

let dir: string;
const made: Record<string, X509Certificate> = {};

/** `openssl x509 -req`, signed by the openssl CA, with the SAN section `section`. */
function opensslLeaf(section: string): X509Certificate {
  writeFileSync(join(dir, 'ext.cnf'), `${CONFIG}\n[ext]\n${/\[leaf\]\n([^[]*)/.exec(CONFIG)![1]}${new RegExp(`\\[${section}\\]\\n([^[]*)`).exec(CONFIG)![1]}`);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${section}.key`, '-out', `${section}.csr`, '-subj', `/CN=${section}`], dir);
  openssl(['x509', '-req', '-in', `${section}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '4660', '-days', '30', '-extfile', 'ext.cnf', '-extensions', 'ext', '-out', `${section}.crt`], dir);
  return new X509Certificate(readFileSync(join(dir, `${section}.crt`)));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mgw-openssl-'));
  if (!HAS_OPENSSL) return;
  writeFileSync(join(dir, 'ca.cnf'), CONFIG);
  const selfSigned = (name: string, section: string) => {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-config', 'ca.cnf', '-extensions', section], dir);
    return new X509Certificate(readFileSync(join(dir, `${name}.crt`)));
  };
  made.ca = selfSigned('ca', 'v3_ca');
  made.caWithEmail = selfSigned('ca-email', 'ca_with_email');
  for (const section of ['admin', 'tenant', 'gateway', 'server', 'bad_tenant', 'bad_gateway']) made[section] = opensslLeaf(section);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readIdentity on openssl-made certificates', () => {
  const ours = (() => {
    let ca: ReturnType<typeof createAuthority> | undefined;
    return (identity: CertIdentity) => {
      ca ??= createAuthority({ keyType: 'ec' });
      return issueLeaf(ca, { kind: identity.kind, identity }, { keyType: 'ec' }).cert;
    };
  })();

  const table: [string, CertIdentity][] = [
    ['admin', { kind: 'admin', tenantId: 'administrator' }],
    ['tenant', { kind: 'tenant', tenantId: 'acme' }],
    ['gateway', { kind: 'gateway', tenantId: 'acme', gatewayId: 'gw-1' }],
  ];
  for (const [section, identity] of table) {
    itWithOpenssl(`${section}: the same identity as a certificate issued by the gateway`, () => {
      expect(made[section].ca).toBe(false);
      expect(readIdentity(made[section])).toEqual(identity);
      expect(readIdentity(ours(identity))).toEqual(identity);
    });
  }

  itWithOpenssl('refuses CA certificates, even one carrying the tenant SAN entries', () => {
    expect(readIdentity(made.ca)).toEqual({ problem: expect.any(String) });
    expect(readIdentity(made.caWithEmail)).toEqual({ problem: expect.any(String) });
  });

  itWithOpenssl('refuses a server certificate (no email SAN entries)', () => {
    expect(readIdentity(made.server)).toEqual({ problem: expect.any(String) });
  });

  itWithOpenssl('refuses tenant and gateway IDs with illegal characters', () => {
    expect(readIdentity(made.bad_tenant)).toEqual({ problem: expect.any(String) });
    expect(readIdentity(made.bad_gateway)).toEqual({ problem: expect.any(String) });
  });
});

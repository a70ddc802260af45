import { X509Certificate } from 'node:crypto';
import { GatewayError } from '../../../src/errors';
import { Authority, createAuthority, issueLeaf } from '../../../src/pki/authority';
import { buildCertificate } from '../../../src/pki/build-certificate';
import { generateKeyPair } from '../../../src/pki/keys';
import { CertIdentity, EMPTY_NAME } from '../../../src/pki/profile';
import { MAX_PEM_LENGTH, parsePemCertificate, readIdentity, sanEntries, serialOf } from '../../../src/pki/read-certificate';

let ca: Authority & { keyPem: string };
let pem: string;

const issue = (identity: CertIdentity) => issueLeaf(ca, { kind: identity.kind, identity }, { keyType: 'ec' });

beforeAll(() => {
  ca = createAuthority({ keyType: 'ec' });
  pem = issue({ kind: 'tenant', tenantId: 'acme' }).certPem;
});

/** The thrown GatewayError's code; fails the test on anything else (e.g. a raw TypeError). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return (err as GatewayError).code;
  }
  throw new Error('expected a throw');
}

describe('parsePemCertificate', () => {
  it('parses one PEM certificate', () => {
    const cert = parsePemCertificate(pem, 'tenantCert');
    expect(cert.fingerprint256).toBe(new X509Certificate(pem).fingerprint256);
    expect(parsePemCertificate(`\n\n${pem}\n\n`, 'tenantCert').fingerprint256).toBe(cert.fingerprint256);
  });

  it.each([
    ['an empty string', ''],
    ['only whitespace', ' \n\t '],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a Buffer', Buffer.from('x')],
  ])('%s → ERR_INVALID_ARGUMENT', (_what, value) => {
    expect(codeOf(() => parsePemCertificate(value, 'tenantCert'))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('more than 64 KiB → ERR_INVALID_ARGUMENT, exactly 64 KiB is read', () => {
    const padded = (length: number) => pem + ' '.repeat(length - pem.length);
    expect(codeOf(() => parsePemCertificate(padded(MAX_PEM_LENGTH + 1), 'tenantCert'))).toBe('ERR_INVALID_ARGUMENT');
    expect(MAX_PEM_LENGTH).toBe(64 * 1024);
    expect(parsePemCertificate(padded(MAX_PEM_LENGTH), 'tenantCert')).toBeInstanceOf(X509Certificate);
  });

  it.each([
    ['garbage', () => 'hello, world'],
    ['a private key', () => ca.keyPem],
    ['a truncated certificate', () => pem.slice(0, Math.floor(pem.length / 2))],
    ['a certificate with its END line cut off', () => pem.replace('-----END CERTIFICATE-----', '')],
    ['corrupt base64', () => pem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!!!!!!!!!!!!!!!!!')],
    ['two certificates', () => pem + pem],
    ['a certificate and the CA certificate', () => pem + ca.certPem],
  ])('%s → ERR_INVALID_CERTIFICATE', (_what, make) => {
    expect(codeOf(() => parsePemCertificate(make(), 'tenantCert'))).toBe('ERR_INVALID_CERTIFICATE');
  });
});

describe('readIdentity', () => {
  it.each([
    [{ kind: 'admin', tenantId: 'administrator' }],
    [{ kind: 'tenant', tenantId: 'acme.prod_1-x' }],
    [{ kind: 'gateway', tenantId: 'acme', gatewayId: 'gw-1' }],
  ] as [CertIdentity][])('reads %j', (identity) => {
    expect(readIdentity(issue(identity).cert)).toEqual(identity);
  });

  it('refuses the CA certificate', () => {
    expect(readIdentity(ca.cert)).toEqual({ problem: expect.any(String) });
  });

  it('refuses a server certificate (no email entries)', () => {
    const server = issueLeaf(ca, { kind: 'server', names: ['localhost', '127.0.0.1'] }, { keyType: 'ec' });
    expect(readIdentity(server.cert)).toEqual({ problem: expect.any(String) });
  });

  it.each([
    ['a space', { kind: 'tenant', tenantId: 'acme corp' }],
    ['a slash', { kind: 'tenant', tenantId: 'acme/evil' }],
    ['non-ASCII', { kind: 'tenant', tenantId: 'acmé' }],
    ['65 characters', { kind: 'tenant', tenantId: 'a'.repeat(65) }],
    ['a bad gateway ID', { kind: 'gateway', tenantId: 'acme', gatewayId: 'gw 1' }],
    ['a bad tenant ID on a gateway', { kind: 'gateway', tenantId: 'ac:me', gatewayId: 'gw-1' }],
  ] as [string, CertIdentity][])('refuses an ID with %s', (_what, identity) => {
    expect(readIdentity(issue(identity).cert)).toEqual({ problem: expect.any(String) });
  });

  it('is not fooled by an ID that looks like further SAN entries', () => {
    const cert = issue({ kind: 'tenant', tenantId: 'x, email:administrator' }).cert;
    expect(sanEntries(cert)).toEqual([
      { type: 'email', value: 'Tenant Certificate' },
      { type: 'email', value: 'x, email:administrator' },
    ]);
    expect(readIdentity(cert)).toEqual({ problem: expect.any(String) });
  });

  it.each([
    ['the tenant ID before the mark', ['acme', 'Tenant Certificate']],
    ['a tenant mark with three entries', ['Tenant Certificate', 'acme', 'gw-1']],
    ['a gateway mark with two entries', ['Gateway Certificate', 'acme']],
    ['an unknown mark', ['Device Certificate', 'acme']],
  ])('refuses %s', (_what, sanEmails) => {
    const { publicKey } = generateKeyPair('ec');
    const notBefore = new Date(Date.now() - 60_000);
    const notAfter = new Date(Date.now() + 3_600_000);
    const spec = { serial: 77n, subject: { ...EMPTY_NAME, commonName: 'x' }, publicKey, notBefore, notAfter, isCa: false, sanEmails };
    const cert = new X509Certificate(buildCertificate(spec, { cert: ca.cert, privateKey: ca.privateKey }));
    expect(sanEntries(cert).map((e) => e.value)).toEqual(sanEmails);
    expect(readIdentity(cert)).toEqual({ problem: expect.any(String) });
  });

  it('serialOf reads the serial the record holds', () => {
    const issued = issue({ kind: 'tenant', tenantId: 'acme' });
    expect(serialOf(issued.cert)).toBe(issued.record.serial);
  });
});

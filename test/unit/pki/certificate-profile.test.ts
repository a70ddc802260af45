/** The certificate profile as issued by createAuthority / issueLeaf / initPki, read back with node:crypto. */
import { PKCS8_FIRST_LINE } from '../../support/pki';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authority, createAuthority, Issued, issueLeaf } from '../../../src/pki/authority';
import { initPki, pairFiles } from '../../../src/pki/cert-dir';
import { sanEntries, serialOf } from '../../../src/pki/read-certificate';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let dir: string;
let before: number;
let after: number;
let rsa: { ca: Issued & Authority; server: Issued; admin: Issued; tenant: Issued; gateway: Issued };
let ec: typeof rsa;
let twoYearLeaf: Issued;
let threeYearCa: Issued & Authority;

function makeSet(out: string, keyType?: 'ec') {
  const { ca, server, admin } = initPki(out, { keyType });
  const tenant = issueLeaf(ca, { kind: 'tenant', identity: { kind: 'tenant', tenantId: 'acme' } }, { keyType });
  const gateway = issueLeaf(ca, { kind: 'gateway', identity: { kind: 'gateway', tenantId: 'acme', gatewayId: 'gw-1' } }, { keyType });
  return { ca, server, admin, tenant, gateway };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mgw-profile-'));
  before = Date.now();
  rsa = makeSet(join(dir, 'rsa'));
  ec = makeSet(join(dir, 'ec'), 'ec');
  twoYearLeaf = issueLeaf(rsa.ca, { kind: 'tenant', identity: { kind: 'tenant', tenantId: 'acme' } }, { years: 2 });
  threeYearCa = createAuthority({ years: 3 });
  after = Date.now();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kinds = ['ca', 'server', 'admin', 'tenant', 'gateway'] as const;
const leaves = ['server', 'admin', 'tenant', 'gateway'] as const;

/** notAfter must be `years` calendar years after issuing time, to the second. */
function expectYearsLater(cert: X509Certificate, years: number) {
  const plus = (ms: number) => {
    const d = new Date(ms);
    d.setUTCFullYear(d.getUTCFullYear() + years);
    return d.getTime();
  };
  const notAfter = Date.parse(cert.validTo);
  expect(notAfter).toBeGreaterThanOrEqual(Math.floor(plus(before) / 1000) * 1000);
  expect(notAfter).toBeLessThanOrEqual(plus(after));
  expect(Date.parse(cert.validFrom)).toBeLessThanOrEqual(before);
}

describe('SubjectAltName entries', () => {
  it.each([
    ['admin', ['Tenant Certificate', 'administrator']],
    ['tenant', ['Tenant Certificate', 'acme']],
    ['gateway', ['Gateway Certificate', 'acme', 'gw-1']],
  ] as const)('%s certificates carry rfc822 names in the spec order', (kind, expected) => {
    for (const set of [rsa, ec]) {
      expect(sanEntries(set[kind].cert)).toEqual(expected.map((value) => ({ type: 'email', value })));
    }
  });

  it('the server certificate names localhost and the loopback addresses, with no email entries', () => {
    const { cert } = rsa.server;
    expect(sanEntries(cert).filter((e) => e.type === 'DNS').map((e) => e.value)).toContain('localhost');
    expect(sanEntries(cert).filter((e) => e.type === 'email')).toEqual([]);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBeDefined();
    expect(cert.checkHost('example.com')).toBeUndefined();
  });

  it('the CA certificate has no SubjectAltName', () => {
    expect(rsa.ca.cert.subjectAltName).toBeUndefined();
  });
});

describe('keys', () => {
  it.each(kinds)('%s: RSA-2048 by default', (kind) => {
    expect(rsa[kind].cert.publicKey.asymmetricKeyType).toBe('rsa');
    expect(rsa[kind].cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it.each(kinds)("%s: P-256 with keyType 'ec'", (kind) => {
    expect(ec[kind].cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(ec[kind].cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it.each(kinds)('%s: the key is PKCS#8 PEM and belongs to the certificate', (kind) => {
    for (const set of [rsa, ec]) {
      const { keyPem, cert } = set[kind];
      expect(keyPem.startsWith(`${PKCS8_FIRST_LINE}\n`)).toBe(true);
      expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    }
    expect(rsa[kind].cert.checkPrivateKey(createPrivateKey(ec[kind].keyPem))).toBe(false);
  });

  it('initPki writes the pairs it returns, keys readable by the owner only', () => {
    for (const [base, issued] of [['ca', rsa.ca], ['server', rsa.server], ['admin', rsa.admin]] as const) {
      const files = pairFiles(join(dir, 'rsa'), base);
      expect(readFileSync(files.cert, 'utf8')).toBe(issued.certPem);
      expect(readFileSync(files.key, 'utf8')).toBe(issued.keyPem);
      expect(statSync(files.key).mode & 0o077).toBe(0);
    }
  });
});

describe('serials, signatures and records', () => {
  it.each(kinds)('%s: serial is positive, below 2^63, and matches the record', (kind) => {
    for (const set of [rsa, ec]) {
      const serial = serialOf(set[kind].cert);
      expect(serial).toBeGreaterThan(0n);
      expect(serial).toBeLessThan(2n ** 63n);
      expect(set[kind].record.serial).toBe(serial);
    }
  });

  it.each(leaves)('%s: signed by the CA', (kind) => {
    for (const set of [rsa, ec]) {
      const { cert } = set[kind];
      expect(cert.checkIssued(set.ca.cert)).toBe(true);
      expect(cert.verify(set.ca.cert.publicKey)).toBe(true);
      expect(cert.verify(set === rsa ? ec.ca.cert.publicKey : rsa.ca.cert.publicKey)).toBe(false);
    }
  });

  it('the CA signs itself and is a CA; leaves are not', () => {
    expect(rsa.ca.cert.ca).toBe(true);
    expect(rsa.ca.cert.verify(rsa.ca.cert.publicKey)).toBe(true);
    for (const kind of leaves) expect(rsa[kind].cert.ca).toBe(false);
  });

  it.each(leaves)('%s: extended key usage is clientAuth and serverAuth', (kind) => {
    expect([...rsa[kind].cert.keyUsage].sort()).toEqual([SERVER_AUTH, CLIENT_AUTH].sort());
  });

  it('records carry owner, kind, validity and the SHA-256 fingerprint', () => {
    const { record, cert } = rsa.gateway;
    expect(record).toMatchObject({ kind: 'gateway', tenantId: 'acme', gatewayId: 'gw-1' });
    expect(record.fingerprint).toBe(createHash('sha256').update(cert.raw).digest('hex'));
    expect(record.issuedAt * 1000).toBe(Date.parse(cert.validFrom));
    expect(record.expiresAt * 1000).toBe(Date.parse(cert.validTo));
    expect(rsa.admin.record).toMatchObject({ kind: 'admin', tenantId: 'administrator', gatewayId: null });
    expect(rsa.server.record).toMatchObject({ kind: 'server', tenantId: null, gatewayId: null });
  });
});

describe('validity', () => {
  it('the CA lasts 10 years by default', () => expectYearsLater(rsa.ca.cert, 10));
  it.each(leaves)('%s lasts 5 years by default', (kind) => expectYearsLater(rsa[kind].cert, 5));
  it('`years` is honoured for leaves and the CA', () => {
    expectYearsLater(twoYearLeaf.cert, 2);
    expectYearsLater(threeYearCa.cert, 3);
  });
  it('explicit notBefore / notAfter are used as given', () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const notAfter = new Date('2031-06-30T12:00:00Z');
    const { cert } = issueLeaf(rsa.ca, { kind: 'tenant', identity: { kind: 'tenant', tenantId: 'acme' } }, { notBefore, notAfter });
    expect(Date.parse(cert.validFrom)).toBe(notBefore.getTime());
    expect(Date.parse(cert.validTo)).toBe(notAfter.getTime());
  });
});

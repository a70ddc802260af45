/** describeCertificate reports problems as sentences (there is no code); the tests match their key words. */
import { X509Certificate } from 'node:crypto';
import { Authority, createAuthority, Issued, issueLeaf, ValidityOptions } from '../../../src/pki/authority';
import { buildCertificate } from '../../../src/pki/build-certificate';
import { generateKeyPair } from '../../../src/pki/keys';
import { CertIdentity, EMPTY_NAME } from '../../../src/pki/profile';
import { describeCertificate } from '../../../src/pki/describe-certificate';

let ca: Authority & Issued;
let otherCa: Authority & Issued;
let tenant: Issued;

const ec = { keyType: 'ec' } as const;
const issue = (identity: CertIdentity, options: ValidityOptions = {}) => issueLeaf(ca, { kind: identity.kind, identity }, { ...ec, ...options });
const server = (names: string[]) => issueLeaf(ca, { kind: 'server', names }, ec).cert;

beforeAll(() => {
  ca = createAuthority(ec);
  otherCa = createAuthority(ec);
  tenant = issue({ kind: 'tenant', tenantId: 'acme' });
});

describe('describeCertificate', () => {
  it('describes a good tenant certificate with no problems', () => {
    const d = describeCertificate(tenant.cert, { ca: ca.cert });
    expect(d).toMatchObject({ kind: 'tenant', tenantId: 'acme', serial: tenant.record.serial.toString(), problems: [] });
    expect(d.fingerprint).toBe(tenant.record.fingerprint);
    expect(BigInt(`0x${d.serialHex}`)).toBe(tenant.record.serial);
    expect(d).not.toHaveProperty('gatewayId');
  });

  it('describes gateway, admin and CA certificates', () => {
    const gw = describeCertificate(issue({ kind: 'gateway', tenantId: 'acme', gatewayId: 'gw-1' }).cert, { ca: ca.cert });
    expect(gw).toMatchObject({ kind: 'gateway', tenantId: 'acme', gatewayId: 'gw-1', problems: [] });
    expect(describeCertificate(issue({ kind: 'admin', tenantId: 'administrator' }).cert)).toMatchObject({ kind: 'admin', problems: [] });
    expect(describeCertificate(ca.cert, { ca: ca.cert })).toMatchObject({ kind: 'ca', problems: [] });
  });

  it('reports an expired certificate', () => {
    const old = issue({ kind: 'tenant', tenantId: 'acme' }, { notBefore: new Date('2020-01-01Z'), notAfter: new Date('2021-01-01Z') });
    const { problems } = describeCertificate(old.cert, { ca: ca.cert });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/expired/);
    // The same, by moving the clock past a good certificate's end.
    const later = Date.parse(tenant.cert.validTo) + 1000;
    expect(describeCertificate(tenant.cert, { now: later }).problems).toEqual([expect.stringMatching(/expired/)]);
  });

  it('reports a certificate that is not valid yet', () => {
    const future = issue({ kind: 'tenant', tenantId: 'acme' }, { notBefore: new Date('2040-01-01Z'), notAfter: new Date('2041-01-01Z') });
    expect(describeCertificate(future.cert).problems).toEqual([expect.stringMatching(/not valid before/)]);
    const earlier = Date.parse(tenant.cert.validFrom) - 1000;
    expect(describeCertificate(tenant.cert, { now: earlier }).problems).toEqual([expect.stringMatching(/not valid before/)]);
  });

  it('reports a certificate from another CA', () => {
    const { problems } = describeCertificate(tenant.cert, { ca: otherCa.cert });
    expect(problems).toEqual([expect.stringMatching(/wrong CA/)]);
  });

  it('reports a certificate without a tenant ID', () => {
    const { publicKey } = generateKeyPair('ec');
    const now = Date.now();
    const spec = {
      serial: 99n,
      subject: { ...EMPTY_NAME, commonName: 'nobody' },
      publicKey,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3_600_000),
      isCa: false,
    };
    const bare = new X509Certificate(buildCertificate(spec, { cert: ca.cert, privateKey: ca.privateKey }));
    const d = describeCertificate(bare, { ca: ca.cert });
    expect(d.kind).toBe('unknown');
    expect(d.problems).toEqual([expect.stringMatching(/no tenant ID/)]);
    expect(d).not.toHaveProperty('tenantId');
  });

  it('reports each name a server certificate lacks', () => {
    expect(describeCertificate(server(['localhost', '127.0.0.1', '::1'])).problems).toEqual([]);
    const d = describeCertificate(server(['gw.example.com', '10.0.0.5']), { expectNames: ['gw.example.com', '10.0.0.6', 'localhost'] });
    expect(d.kind).toBe('server');
    expect(d.names).toEqual(['gw.example.com', '10.0.0.5']);
    expect(d.problems).toHaveLength(2);
    expect(d.problems[0]).toContain('10.0.0.6');
    expect(d.problems[1]).toContain('localhost');
  });

  it('lists the default names a server certificate lacks when none are given', () => {
    const { problems } = describeCertificate(server(['gw.example.com']));
    expect(problems).toHaveLength(3);
    ['localhost', '127.0.0.1', '::1'].forEach((name, i) => expect(problems[i]).toContain(name));
  });
});

describe('expiry (certs show)', () => {
  it('counts the days left and warns within 30 days, without calling it a problem', () => {
    const now = Date.now();
    const soon = issue({ kind: 'tenant', tenantId: 'acme' }, { notAfter: new Date(now + 10.5 * 86_400_000) }).cert;
    const d = describeCertificate(soon, { ca: ca.cert, now });
    expect(d).toMatchObject({ daysLeft: 10, problems: [] });
    expect(d.warnings).toEqual([expect.stringMatching(/expires in 10 days/)]);
    const later = describeCertificate(soon, { ca: ca.cert, now: now - 30 * 86_400_000 });
    expect(later).toMatchObject({ daysLeft: 40, warnings: [] });
  });

  it('checks against every CA of a rollover bundle', () => {
    const other = issueLeaf(otherCa, { kind: 'tenant', identity: { kind: 'tenant', tenantId: 'acme' } }, ec).cert;
    expect(describeCertificate(other, { ca: [ca.cert, otherCa.cert] }).problems).toEqual([]);
    expect(describeCertificate(other, { ca: [ca.cert] }).problems).toEqual([expect.stringMatching(/wrong CA/)]);
  });
});

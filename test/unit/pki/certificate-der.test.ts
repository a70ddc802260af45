/** DER-level facts of the profile: read with `openssl x509 -text` and checked with `openssl verify`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthority, issueLeaf, LeafRequest } from '../../../src/pki/authority';
import { initPki } from '../../../src/pki/cert-dir';
import { HAS_OPENSSL, itWithOpenssl, openssl, opensslVerify, writePem, x509Text } from './openssl';

let dir: string;
const files: Record<string, string> = {};
const text: Record<string, string> = {};

const tenantReq: LeafRequest = { kind: 'tenant', identity: { kind: 'tenant', tenantId: 'acme' } };
const gatewayReq: LeafRequest = { kind: 'gateway', identity: { kind: 'gateway', tenantId: 'acme', gatewayId: 'gw-1' } };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mgw-der-'));
  if (!HAS_OPENSSL) return;
  for (const keyType of ['rsa', 'ec'] as const) {
    const { ca, server, admin } = initPki(join(dir, keyType), { keyType });
    const issued = { ca, server, admin, tenant: issueLeaf(ca, tenantReq, { keyType }), gateway: issueLeaf(ca, gatewayReq, { keyType }) };
    for (const [kind, { certPem }] of Object.entries(issued)) {
      files[`${keyType}-${kind}`] = writePem(dir, `${keyType}-${kind}.crt`, certPem);
      text[`${keyType}-${kind}`] = x509Text(dir, files[`${keyType}-${kind}`]);
    }
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const leaves = ['server', 'admin', 'tenant', 'gateway'];
const clientLeaves = ['admin', 'tenant', 'gateway'];

describe('openssl x509 -text', () => {
  itWithOpenssl('the CA: BasicConstraints critical CA:TRUE, KeyUsage keyCertSign', () => {
    for (const keyType of ['rsa', 'ec']) {
      const t = text[`${keyType}-ca`];
      expect(t).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
      expect(t).toMatch(/X509v3 Key Usage: critical\s+[^\n]*Certificate Sign/);
    }
  });

  itWithOpenssl('leaves: KeyUsage digitalSignature, ExtKeyUsage clientAuth and serverAuth, not a CA', () => {
    for (const key of leaves.flatMap((k) => [`rsa-${k}`, `ec-${k}`])) {
      expect(text[key]).toMatch(/X509v3 Key Usage: critical\s+Digital Signature/);
      expect(text[key]).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Client Authentication, TLS Web Server Authentication\n/);
      expect(text[key]).not.toMatch(/CA:TRUE/);
    }
  });

  itWithOpenssl('SubjectAltName entries in the spec order', () => {
    const san = (key: string) => /X509v3 Subject Alternative Name:[^\n]*\n\s+([^\n]*)/.exec(text[key])?.[1];
    expect(san('rsa-admin')).toBe('email:Tenant Certificate, email:administrator');
    expect(san('rsa-tenant')).toBe('email:Tenant Certificate, email:acme');
    expect(san('ec-gateway')).toBe('email:Gateway Certificate, email:acme, email:gw-1');
    expect(san('rsa-server')).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  });

  itWithOpenssl('RSA-2048 with sha256WithRSAEncryption by default; P-256 with ecdsa-with-SHA256', () => {
    for (const kind of ['ca', ...leaves]) {
      expect(text[`rsa-${kind}`]).toContain('Public-Key: (2048 bit)');
      expect(text[`rsa-${kind}`]).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
      expect(text[`ec-${kind}`]).toContain('Public-Key: (256 bit)');
      expect(text[`ec-${kind}`]).toContain('NIST CURVE: P-256');
      expect(text[`ec-${kind}`]).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
    }
  });

  itWithOpenssl('serials are positive and below 2^63', () => {
    for (const file of Object.values(files)) {
      const hex = /serial=([0-9A-F]+)/.exec(openssl(['x509', '-noout', '-serial', '-in', file], dir))?.[1];
      const serial = BigInt(`0x${hex}`);
      expect(serial).toBeGreaterThan(0n);
      expect(serial).toBeLessThan(2n ** 63n);
    }
  });
});

describe('openssl verify', () => {
  itWithOpenssl('every leaf verifies against its CA, client certs for sslclient and the server cert for sslserver', () => {
    for (const keyType of ['rsa', 'ec']) {
      const ca = files[`${keyType}-ca`];
      for (const kind of clientLeaves) {
        expect(opensslVerify(dir, ca, files[`${keyType}-${kind}`], 'sslclient')).toEqual({ ok: true, output: expect.stringContaining(': OK') });
      }
      expect(opensslVerify(dir, ca, files[`${keyType}-server`], 'sslserver').ok).toBe(true);
    }
  });

  itWithOpenssl('a leaf does not verify against another CA', () => {
    expect(opensslVerify(dir, files['ec-ca'], files['rsa-tenant']).ok).toBe(false);
  });

  itWithOpenssl('EC: a leaf verifies against a bundle holding two gateway CAs', () => {
    const [first, second] = [createAuthority({ keyType: 'ec' }), createAuthority({ keyType: 'ec' })];
    const bundle = writePem(dir, 'ec-bundle.pem', first.certPem + second.certPem);
    const leaf = writePem(dir, 'ec-second-leaf.crt', issueLeaf(second, tenantReq, { keyType: 'ec' }).certPem);
    expect(opensslVerify(dir, bundle, leaf, 'sslclient').ok).toBe(true);
  });

  // Regression: keyIdentifier() once hashed nothing for RSA keys, so every RSA CA had the same key identifier
  // (SHA-1 of "") and OpenSSL picked the wrong CA out of a bundle of two.
  (HAS_OPENSSL ? it : it.skip)('RSA: a leaf verifies against a bundle holding two gateway CAs', () => {
    const [first, second] = [createAuthority(), createAuthority()];
    const bundle = writePem(dir, 'rsa-bundle.pem', first.certPem + second.certPem);
    const leaf = writePem(dir, 'rsa-second-leaf.crt', issueLeaf(second, tenantReq).certPem);
    expect(opensslVerify(dir, bundle, leaf, 'sslclient').ok).toBe(true);
  });
});

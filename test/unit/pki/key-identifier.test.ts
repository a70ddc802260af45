/** Subject / authority key identifiers (RFC 5280 4.2.1.1-2), read straight from the DER. */
import { createHash, KeyObject, X509Certificate } from 'node:crypto';
import { createAuthority, issueLeaf, LeafRequest } from '../../../src/pki/authority';

const SKI_OID = Buffer.from('0603551d0e', 'hex');
const AKI_OID = Buffer.from('0603551d23', 'hex');

/** The 20-byte identifier inside the extension with this OID (short-form lengths only, as these are). */
function keyIdOf(cert: X509Certificate, oid: Buffer): string | undefined {
  const raw = cert.raw;
  let at = raw.indexOf(oid);
  if (at < 0) return undefined;
  at += oid.length;
  if (raw[at] === 0x01) at += 3; // critical flag
  const value = raw.subarray(at + 2, at + 2 + raw[at + 1]); // extnValue OCTET STRING contents
  // SKI: OCTET STRING (04 14 id); AKI: SEQUENCE { [0] id } (30 16 80 14 id)
  const id = value[0] === 0x04 ? value.subarray(2) : value.subarray(4);
  return id.toString('hex');
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
function expectedKeyId(key: KeyObject): string {
  const bits =
    key.asymmetricKeyType === 'rsa'
      ? key.export({ type: 'pkcs1', format: 'der' })
      : (() => {
          const jwk = key.export({ format: 'jwk' });
          return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
        })();
  return createHash('sha1').update(bits).digest('hex');
}

const tenantReq: LeafRequest = { kind: 'tenant', identity: { kind: 'tenant', tenantId: 'acme' } };

describe.each(['ec', 'rsa'] as const)('%s keys', (keyType) => {
  let ca: ReturnType<typeof createAuthority>;
  let other: ReturnType<typeof createAuthority>;
  let leaf: X509Certificate;

  beforeAll(() => {
    ca = createAuthority({ keyType });
    other = createAuthority({ keyType });
    leaf = issueLeaf(ca, tenantReq, { keyType }).cert;
  });

  it("a leaf's authority key identifier is its CA's subject key identifier", () => {
    expect(keyIdOf(leaf, AKI_OID)).toHaveLength(40);
    expect(keyIdOf(leaf, AKI_OID)).toBe(keyIdOf(ca.cert, SKI_OID));
  });

  // Regression (RSA only): keyIdentifier() once hashed an empty string, since node-forge
  // decodes an RSA key's BIT STRING into ASN.1 objects; every RSA certificate got da39a3ee….
  it('the subject key identifier is the SHA-1 of the public key bits', () => {
    expect(keyIdOf(ca.cert, SKI_OID)).toBe(expectedKeyId(ca.cert.publicKey));
    expect(keyIdOf(leaf, SKI_OID)).toBe(expectedKeyId(leaf.publicKey));
  });

  it('two CAs get different subject key identifiers', () => {
    expect(keyIdOf(ca.cert, SKI_OID)).not.toBe(keyIdOf(other.cert, SKI_OID));
  });
});

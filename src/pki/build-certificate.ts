/**
 * Builds and signs an X.509 certificate. node-forge lays out the TBSCertificate (names, validity,
 * extensions); the public key and the signature come from node:crypto, so RSA and P-256 keys are
 * handled alike and signing runs natively.
 */
import { createHash, KeyObject, sign, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { PkiName } from './profile';
import { serialToDerHex } from './serial';

const { asn1 } = forge;
// forge.asn1.fromDer takes an options object at run time; its type definitions only know the boolean form.
const fromDerRaw = asn1.fromDer as unknown as (bytes: string, options: { decodeBitStrings: boolean }) => forge.asn1.Asn1;
// Public in node-forge, missing from its type definitions.
const getTbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

export interface CertificateSpec {
  serial: bigint;
  subject: PkiName;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  /** rfc822Name entries, in order. */
  sanEmails?: string[];
  sanDns?: string[];
  sanIps?: string[];
}

export interface Issuer {
  /** Undefined when the certificate signs itself (the CA). */
  cert?: X509Certificate;
  privateKey: KeyObject;
}

const NAME_FIELDS: [keyof PkiName, string][] = [
  ['country', 'C'],
  ['province', 'ST'],
  ['city', 'L'],
  ['organization', 'O'],
  ['organizationUnit', 'OU'],
  ['commonName', 'CN'],
];

function toForgeAttrs(name: PkiName): forge.pki.CertificateField[] {
  return NAME_FIELDS.filter(([key]) => name[key] !== '').map(([key, shortName]) => ({
    shortName,
    value: name[key],
    valueTagClass: (shortName === 'C' ? asn1.Type.PRINTABLESTRING : asn1.Type.UTF8) as unknown as forge.asn1.Class,
  }));
}

/** The SubjectPublicKeyInfo as forge ASN.1, its BIT STRING kept as raw bytes (forge would parse RSA keys inside it). */
function spkiOf(publicKey: KeyObject): forge.asn1.Asn1 {
  return fromDerRaw(publicKey.export({ type: 'spki', format: 'der' }).toString('binary'), { decodeBitStrings: false });
}

/** SHA-1 over the subjectPublicKey bits (RFC 5280 4.2.1.2, method 1). */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = spkiOf(publicKey);
  const bits = (spki.value as forge.asn1.Asn1[])[1].value as string;
  return createHash('sha1').update(Buffer.from(bits.slice(1), 'binary')).digest();
}

function subjectName(cert: X509Certificate): forge.asn1.Asn1 {
  const parsed = fromDerRaw(cert.raw.toString('binary'), { decodeBitStrings: false });
  const tbs = (parsed.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[];
  return tbs[5];
}

function signatureAlgorithm(key: KeyObject): forge.asn1.Asn1 {
  const ec = key.asymmetricKeyType === 'ec';
  const oid = ec ? '1.2.840.10045.4.3.2' : '1.2.840.113549.1.1.11';
  const parts = [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes())];
  if (!ec) parts.push(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''));
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, parts);
}

function extensions(spec: CertificateSpec, issuer: Issuer, ski: Buffer): object[] {
  const issuerKeyId = issuer.cert ? keyIdentifier(issuer.cert.publicKey) : ski;
  if (spec.isCa) {
    return [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', critical: true, digitalSignature: true, keyCertSign: true },
      { name: 'subjectKeyIdentifier' },
    ];
  }
  const altNames = [
    ...(spec.sanEmails ?? []).map((value) => ({ type: 1, value })),
    ...(spec.sanDns ?? []).map((value) => ({ type: 2, value })),
    ...(spec.sanIps ?? []).map((ip) => ({ type: 7, ip })),
  ];
  return [
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: spec.publicKey.asymmetricKeyType === 'rsa' },
    { name: 'extKeyUsage', clientAuth: true, serverAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: issuerKeyId.toString('binary') },
    { name: 'subjectAltName', altNames, critical: toForgeAttrs(spec.subject).length === 0 },
  ];
}

/** Returns the certificate as PEM. */
export function buildCertificate(spec: CertificateSpec, issuer: Issuer): string {
  const cert = forge.pki.createCertificate();
  const ski = keyIdentifier(spec.publicKey);
  // forge derives key identifiers from RSA keys only; ours come from node:crypto.
  cert.generateSubjectKeyIdentifier = () => forge.util.createBuffer(ski.toString('binary'));
  cert.serialNumber = serialToDerHex(spec.serial);
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  cert.setSubject(toForgeAttrs(spec.subject));
  cert.setIssuer(toForgeAttrs(spec.subject));
  cert.setExtensions(extensions(spec, issuer, ski));
  // A stand-in RSA key lets forge lay out the TBS; the real SubjectPublicKeyInfo replaces it.
  cert.publicKey = forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger('3'), new forge.jsbn.BigInteger('3'));
  cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
  const tbs = getTbs(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  const algorithm = signatureAlgorithm(issuer.privateKey);
  fields[2] = algorithm;
  // The issuer name is copied byte for byte from the issuer's certificate, so chains always match.
  if (issuer.cert) fields[3] = subjectName(issuer.cert);
  fields[6] = spkiOf(spec.publicKey);
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, issuer.privateKey);
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    signatureAlgorithm(issuer.privateKey),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\0${signature.toString('binary')}`),
  ]);
  const der = Buffer.from(asn1.toDer(certificate).getBytes(), 'binary');
  return new X509Certificate(der).toString();
}

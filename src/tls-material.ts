/**
 * Reads the server's TLS files once at start and refuses to start on anything a client would
 * trip over later, naming the file and the reason.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { CA_BASE, pairFiles, SERVER_BASE } from './pki/cert-dir';
import { sanEntries } from './pki/read-certificate';
import { ConfigInvalid } from './errors';
import { TlsMaterial } from './grpc/grpc-server';

export function loadTlsMaterial(certDir: string, now: number = Date.now()): TlsMaterial & { caKeyPem?: string } {
  const ca = pairFiles(certDir, CA_BASE);
  const server = pairFiles(certDir, SERVER_BASE);
  const problems: string[] = [];
  const read = (file: string) => {
    if (!existsSync(file)) {
      problems.push(`${file}: missing`);
      return '';
    }
    return readFileSync(file, 'utf8');
  };
  const caPem = read(ca.cert);
  const serverCertPem = read(server.cert);
  const serverKeyPem = read(server.key);
  if (problems.length === 0) {
    checkCertificates({ caPem, serverCertPem, serverKeyPem }, { ca: ca.cert, cert: server.cert, key: server.key }, now, problems);
  }
  if (problems.length > 0) throw new ConfigInvalid(`cannot serve TLS:\n  - ${problems.join('\n  - ')}`);
  return { caPem, serverCertPem, serverKeyPem, caKeyPem: existsSync(ca.key) ? readFileSync(ca.key, 'utf8') : undefined };
}

function parse(pem: string, file: string, problems: string[]): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    problems.push(`${file}: not a readable PEM certificate`);
    return undefined;
  }
}

function checkWindow(cert: X509Certificate, file: string, now: number, problems: string[]): void {
  if (now > Date.parse(cert.validTo)) problems.push(`${file}: expired on ${cert.validTo}`);
  if (now < Date.parse(cert.validFrom)) problems.push(`${file}: not valid before ${cert.validFrom}`);
}

function checkCertificates(tls: TlsMaterial, files: { ca: string; cert: string; key: string }, now: number, problems: string[]): void {
  const ca = parse(tls.caPem, files.ca, problems);
  const cert = parse(tls.serverCertPem, files.cert, problems);
  if (ca) {
    if (!ca.ca) problems.push(`${files.ca}: not a CA certificate`);
    checkWindow(ca, files.ca, now, problems);
  }
  if (!cert) return;
  checkWindow(cert, files.cert, now, problems);
  if (ca && !(cert.checkIssued(ca) && cert.verify(ca.publicKey))) problems.push(`${files.cert}: not issued by ${files.ca}`);
  if (!sanEntries(cert).some((e) => e.type === 'DNS' || e.type === 'IP Address')) {
    problems.push(`${files.cert}: has no DNS name or IP address in its SubjectAltName, so no client can verify it`);
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(tls.serverKeyPem))) problems.push(`${files.key}: does not belong to ${files.cert}`);
  } catch {
    problems.push(`${files.key}: not a readable private key`);
  }
}

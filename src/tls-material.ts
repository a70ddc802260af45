/**
 * Reads the server's TLS files (at start, and again on every reload) and refuses anything a client
 * would trip over later, naming the file and the reason. `ca.crt` may hold several CA certificates
 * (a CA rollover); the server certificate must be issued by one of them.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { CA_BASE, pairFiles, SERVER_BASE } from './pki/cert-dir';
import { issuedByAny, pemCertificates } from './pki/ca-bundle';
import { sanEntries } from './pki/read-certificate';
import { ConfigInvalid } from './errors';
import { TlsMaterial } from './grpc/grpc-server';

/** The files read, parsed: what the doors serve and verify clients with. */
export interface ServerTls extends TlsMaterial {
  cas: X509Certificate[];
  server: X509Certificate;
  caKeyPem?: string;
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

export function loadTlsMaterial(certDir: string, now: number = Date.now()): ServerTls {
  const ca = pairFiles(certDir, CA_BASE);
  const server = pairFiles(certDir, SERVER_BASE);
  const problems: string[] = [];
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(code === 'ENOENT' ? `${file}: missing` : `${file}: cannot be read (${code ?? 'error'})`);
      return '';
    }
  };
  const caPem = read(ca.cert);
  const serverCertPem = read(server.cert);
  const serverKeyPem = read(server.key);
  const parsed = problems.length === 0 ? checkCertificates({ caPem, serverCertPem, serverKeyPem }, { ca: ca.cert, cert: server.cert, key: server.key }, now, problems) : undefined;
  if (problems.length > 0 || !parsed) throw new ConfigInvalid(`cannot serve TLS:\n  - ${problems.join('\n  - ')}`);
  return { caPem, serverCertPem, serverKeyPem, ...parsed, caKeyPem: existsSync(ca.key) ? readFileSync(ca.key, 'utf8') : undefined };
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

function checkCas(pem: string, file: string, now: number, problems: string[]): X509Certificate[] {
  const blocks = pemCertificates(pem);
  if (blocks.length === 0) {
    problems.push(`${file}: not a readable PEM certificate`);
    return [];
  }
  const cas: X509Certificate[] = [];
  blocks.forEach((block, i) => {
    const name = blocks.length > 1 ? `${file} (certificate ${i + 1} of ${blocks.length})` : file;
    const ca = parse(block, name, problems);
    if (!ca) return;
    if (!ca.ca) problems.push(`${name}: not a CA certificate`);
    checkWindow(ca, name, now, problems);
    cas.push(ca);
  });
  return cas;
}

function checkCertificates(
  tls: TlsMaterial,
  files: { ca: string; cert: string; key: string },
  now: number,
  problems: string[],
): { cas: X509Certificate[]; server: X509Certificate } | undefined {
  const cas = checkCas(tls.caPem, files.ca, now, problems);
  const cert = parse(tls.serverCertPem, files.cert, problems);
  if (!cert) return undefined;
  checkWindow(cert, files.cert, now, problems);
  if (cas.length > 0 && !issuedByAny(cert, cas)) problems.push(`${files.cert}: not issued by ${files.ca}`);
  if (cert.ca) problems.push(`${files.cert}: is a CA certificate, not a server certificate`);
  // No extended key usage means any; one without serverAuth is refused by every TLS client.
  if (cert.keyUsage !== undefined && !cert.keyUsage.includes(SERVER_AUTH)) problems.push(`${files.cert}: not a server certificate (its extended key usage lacks serverAuth)`);
  if (!sanEntries(cert).some((e) => e.type === 'DNS' || e.type === 'IP Address')) {
    problems.push(`${files.cert}: has no DNS name or IP address in its SubjectAltName, so no client can verify it`);
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(tls.serverKeyPem))) problems.push(`${files.key}: does not belong to ${files.cert}`);
  } catch {
    problems.push(`${files.key}: not a readable private key`);
  }
  return { cas, server: cert };
}

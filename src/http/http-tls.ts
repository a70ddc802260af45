/**
 * What the HTTP bridge serves TLS with: the gateway's server certificate, or the chain and key named by
 * GATEWAY_HTTP_CERT / GATEWAY_HTTP_KEY (e.g. a public CA's, for apps and browsers). Read at start and
 * at every reload (tls-reload.ts); anything a client would trip over later (unreadable, expired, key of
 * another certificate) refuses the start or the reload, naming the file. Undefined = plaintext, only
 * when the operator turned TLS off.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Config } from '../config';
import { ConfigInvalid } from '../errors';
import { sanEntries } from '../pki/read-certificate';

export interface HttpTls {
  /** PEM chain, leaf first. */
  certPem: string;
  keyPem: string;
}

export function loadHttpTls(config: Pick<Config, 'httpTls' | 'httpCert' | 'httpKey'>, server: { serverCertPem: string; serverKeyPem: string }, now: number): HttpTls | undefined {
  if (!config.httpTls) return undefined;
  // server.crt was already checked with the gRPC door's material.
  if (!config.httpCert) return { certPem: server.serverCertPem, keyPem: server.serverKeyPem };
  const problems: string[] = [];
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  };
  const certPem = read(config.httpCert);
  const keyPem = read(config.httpKey);
  if (certPem !== undefined && keyPem !== undefined) checkPair(certPem, keyPem, config.httpCert, config.httpKey, now, problems);
  if (problems.length > 0) throw new ConfigInvalid(`cannot serve HTTPS:\n  - ${problems.join('\n  - ')}`);
  return { certPem: certPem!, keyPem: keyPem! };
}

function checkPair(certPem: string, keyPem: string, certFile: string, keyFile: string, now: number, problems: string[]): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    problems.push(`${certFile}: not a readable PEM certificate`);
    return;
  }
  if (now > Date.parse(cert.validTo)) problems.push(`${certFile}: expired on ${cert.validTo}`);
  if (now < Date.parse(cert.validFrom)) problems.push(`${certFile}: not valid before ${cert.validFrom}`);
  if (cert.ca) problems.push(`${certFile}: is a CA certificate, not a server certificate (put the server's own certificate first)`);
  if (!sanEntries(cert).some((e) => e.type === 'DNS' || e.type === 'IP Address')) {
    problems.push(`${certFile}: has no DNS name or IP address in its SubjectAltName, so no client can verify it`);
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) problems.push(`${keyFile}: does not belong to ${certFile}`);
  } catch {
    problems.push(`${keyFile}: not a readable private key`);
  }
}

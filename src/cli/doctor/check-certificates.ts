/**
 * The gateway's certificates as clients will meet them: the CA, the server certificate (names, validity,
 * chain to ca.crt, its key) and an HTTPS certificate of its own if configured. node:crypto reads them all.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Config } from '../../config';
import { describeCertificate } from '../../pki/describe-certificate';
import { CA_BASE, DEFAULT_SERVER_NAMES, pairFiles, SERVER_BASE } from '../../pki/cert-dir';
import { readCertificateFile } from '../read-certificate-file';
import { Finding, well, wrong } from './finding';

/** Warned of this long before a certificate expires (issue 12 §3: renew before clients trip over it). */
export const EXPIRY_WARNING_DAYS = 30;
const DAY = 86_400_000;

function read(file: string, findings: Finding[], fix: string): X509Certificate | undefined {
  try {
    return readCertificateFile(file);
  } catch (err) {
    findings.push(wrong('certificates', file, (err as Error).message, fix));
    return undefined;
  }
}

function expiry(cert: X509Certificate, file: string, now: number, renew: string): Finding {
  const end = Date.parse(cert.validTo);
  const days = Math.floor((end - now) / DAY);
  const until = new Date(end).toISOString();
  if (end <= now) return wrong('certificates', file, `expired on ${until}`, renew);
  if (days < EXPIRY_WARNING_DAYS) return wrong('certificates', file, `expires on ${until}, in ${days} day${days === 1 ? '' : 's'} (less than ${EXPIRY_WARNING_DAYS})`, renew);
  return well('certificates', file, `valid until ${until} (${days} days)`);
}

function keyMatches(cert: X509Certificate, certFile: string, keyFile: string): Finding {
  const fix = `put the key of ${certFile} in ${keyFile} (or reissue both)`;
  if (!existsSync(keyFile)) return wrong('certificates', keyFile, 'missing', fix);
  try {
    if (cert.checkPrivateKey(createPrivateKey(readFileSync(keyFile)))) return well('certificates', keyFile, `is the key of ${certFile}`);
    return wrong('certificates', keyFile, `is not the key of ${certFile}`, fix);
  } catch {
    return wrong('certificates', keyFile, 'is not a readable private key', fix);
  }
}

/** The names clients dial: the defaults, the configured extra names, and the gRPC host when it is one address. */
function expectedNames(config: Readonly<Config>): string[] {
  const host = config.grpcHost;
  const specific = host && host !== '0.0.0.0' && host !== '::' ? [host] : [];
  return [...new Set([...DEFAULT_SERVER_NAMES, ...config.serverNames, ...specific])].filter((n) => isIP(n) !== 0 || /^[A-Za-z0-9.-]+$/.test(n));
}

export function checkCertificates(config: Readonly<Config>, now: number = Date.now()): Finding[] {
  const findings: Finding[] = [];
  const ca = pairFiles(config.certDir, CA_BASE);
  const server = pairFiles(config.certDir, SERVER_BASE);
  const caCert = read(ca.cert, findings, `restore ${ca.cert}, or start a deployment with master-gateway certs init --out ${config.certDir}`);
  if (caCert) {
    findings.push(caCert.ca ? well('certificates', ca.cert, 'is a CA certificate') : wrong('certificates', ca.cert, 'is not a CA certificate', `put the gateway's CA certificate in ${ca.cert}`));
    findings.push(expiry(caCert, ca.cert, now, 'roll the CA over: put the new CA beside the old one in ca.crt, reissue, then remove the old one'));
    if (!existsSync(ca.key)) findings.push(well('certificates', ca.key, 'absent: the gateway cannot issue certificates (CreateCertificate is unavailable); the CLI needs it to issue'));
  }
  const serverCert = read(server.cert, findings, `issue a server certificate from the CA into ${server.cert}`);
  if (serverCert) {
    const described = describeCertificate(serverCert, { ca: caCert, expectNames: expectedNames(config), now });
    const nameFlags = expectedNames(config).map((n) => `${isIP(n) ? '--ip' : '--dns'} ${n}`).join(' ');
    // certs server keeps the CA; a running gateway picks the new pair up by itself (file watch or SIGHUP).
    const renew = `master-gateway certs server --out ${config.certDir} ${nameFlags}`;
    // Expiry is reported once, by expiry() below.
    for (const problem of described.problems.filter((p) => !p.startsWith('expired'))) findings.push(wrong('certificates', server.cert, problem, renew));
    if (described.problems.length === 0 || described.problems.every((p) => p.startsWith('expired'))) {
      findings.push(well('certificates', server.cert, `covers ${described.names.join(', ')}${caCert ? `; issued by ${ca.cert}` : ''}`));
    }
    findings.push(expiry(serverCert, server.cert, now, renew));
    findings.push(keyMatches(serverCert, server.cert, server.key));
  }
  if (config.httpTls && config.httpCert) {
    const httpCert = read(config.httpCert, findings, `put the HTTPS certificate chain in ${config.httpCert} (GATEWAY_HTTP_CERT)`);
    if (httpCert) {
      findings.push(expiry(httpCert, config.httpCert, now, `renew ${config.httpCert} with its issuer`));
      findings.push(keyMatches(httpCert, config.httpCert, config.httpKey));
    }
  }
  return findings;
}

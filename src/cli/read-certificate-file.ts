/**
 * A certificate file named on the command line, read with node:crypto (PEM or DER). When the file is
 * something else, the error says what it is in words; nothing of its content is ever repeated, since
 * the usual mistake is naming the private key beside the certificate.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FileNotFound, InvalidArgument, InvalidCertificate } from '../errors';

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FileNotFound(`no such file: ${file}`);
    if (code === 'EISDIR') throw new InvalidArgument(`${file} is a directory, not a certificate file`);
    if (code === 'EACCES' || code === 'EPERM') throw new InvalidArgument(`cannot read ${file}: permission denied`);
    throw new InvalidArgument(`cannot read ${file} (${code ?? 'unknown error'})`, { cause });
  }
}

const isDerPrivateKey = (bytes: Buffer): boolean => {
  try {
    createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
    return true;
  } catch {
    return false;
  }
};

/** Throws FileNotFound, or InvalidCertificate saying what the file holds instead (a private key, a CSR, nothing readable). */
export function readCertificateFile(file: string): X509Certificate {
  const bytes = readBytes(file);
  try {
    return new X509Certificate(bytes);
  } catch (cause) {
    const label = /-----BEGIN ([A-Z0-9 ]{1,40})-----/.exec(bytes.toString('latin1'))?.[1];
    if (label?.endsWith('PRIVATE KEY') || (label === undefined && isDerPrivateKey(bytes))) {
      throw new InvalidCertificate(`${file} is a private key, not a certificate (nothing of it is shown; name the .crt file)`, { cause });
    }
    if (label !== undefined && label !== 'CERTIFICATE') throw new InvalidCertificate(`${file} holds a ${label.toLowerCase()}, not a certificate`, { cause });
    if (bytes.length === 0) throw new InvalidCertificate(`${file} is empty, not a certificate`, { cause });
    throw new InvalidCertificate(`${file} is not a readable X.509 certificate (neither PEM nor DER, or corrupt)`, { cause });
  }
}

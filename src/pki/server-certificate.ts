/**
 * Issuing or renewing the server certificate from the existing CA (never a new one, which would
 * break every certificate already issued). A renewal keeps the names of the certificate it replaces,
 * so a name added once is not lost at the next renewal. Files are written whole (temp + rename, key
 * 0600), so a running gateway watching the directory never reads half a file.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Authority, Issued, issueLeaf } from './authority';
import { DEFAULT_SERVER_NAMES, pairFiles, SERVER_BASE, writePairs } from './cert-dir';
import { KeyType } from './keys';
import { DEFAULT_LEAF_YEARS } from './profile';
import { sanEntries } from './read-certificate';

export interface ServerCertificateOptions {
  names: string[];
  days?: number;
  keyType?: KeyType;
  now?: number;
}

export interface ServerCertificateResult {
  issued: Issued;
  files: string[];
  names: string[];
  /** Names kept from the certificate replaced. */
  kept: string[];
  /** The validity asked for would outlive the CA: the certificate ends with the CA instead. */
  endsWithCa: boolean;
}

const DAY_MS = 86_400_000;

/** DNS names and IP addresses of the server certificate in `dir`, if there is a readable one. */
export function currentServerNames(dir: string): string[] {
  const file = pairFiles(dir, SERVER_BASE).cert;
  if (!existsSync(file)) return [];
  try {
    return sanEntries(new X509Certificate(readFileSync(file))).filter((e) => e.type === 'DNS' || e.type === 'IP Address').map((e) => e.value);
  } catch {
    return [];
  }
}

export function issueServerCertificate(ca: Authority, outDir: string, options: ServerCertificateOptions): ServerCertificateResult {
  const now = options.now ?? Date.now();
  const kept = currentServerNames(outDir);
  const names = [...new Set([...DEFAULT_SERVER_NAMES, ...kept, ...options.names])];
  let notAfter = new Date(now);
  if (options.days !== undefined) notAfter = new Date(now + options.days * DAY_MS);
  else notAfter.setUTCFullYear(notAfter.getUTCFullYear() + DEFAULT_LEAF_YEARS);
  const caEnd = Date.parse(ca.cert.validTo);
  const endsWithCa = notAfter.getTime() > caEnd;
  if (endsWithCa) notAfter = new Date(caEnd);
  const issued = issueLeaf(ca, { kind: 'server', names }, { notAfter, keyType: options.keyType });
  // Renewing is what this command is for: the old pair is replaced, never a CA file.
  const files = writePairs(outDir, [{ base: SERVER_BASE, issued }], true);
  return { issued, files, names, kept: kept.filter((n) => !options.names.includes(n)), endsWithCa };
}

/**
 * The certificate directory users know from the original product: ca.crt / ca_key.pem,
 * server.crt / server_key.pem, admin.crt / admin_key.pem, tenant_<ID>.crt, gateway_<ID>.crt.
 * Files are written whole (temp file + rename), keys with mode 0600, never over existing files
 * unless forced.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Authority, createAuthority, Issued, issueLeaf, loadAuthority, ValidityOptions } from './authority';
import { ADMIN_TENANT } from './profile';

export const CA_BASE = 'ca';
export const SERVER_BASE = 'server';
export const ADMIN_BASE = 'admin';
export const DEFAULT_SERVER_NAMES = ['localhost', '127.0.0.1', '::1'];

export const pairFiles = (dir: string, base: string) => ({ cert: join(dir, `${base}.crt`), key: join(dir, `${base}_key.pem`) });
export const tenantBase = (tenantId: string) => `tenant_${tenantId}`;
export const gatewayBase = (gatewayId: string) => `gateway_${gatewayId}`;

export class FileExists extends Error {}

function writeWhole(file: string, text: string, mode: number): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode });
  renameSync(temp, file);
}

/** Refuses, before writing anything, when any target exists and `force` is off. */
export function writePairs(dir: string, pairs: { base: string; issued: Pick<Issued, 'certPem' | 'keyPem'> }[], force: boolean): string[] {
  // A directory made here holds private keys: only the owner may list it.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const targets = pairs.map(({ base }) => pairFiles(dir, base));
  const existing = targets.flatMap((t) => [t.cert, t.key]).filter((f) => existsSync(f));
  if (existing.length > 0 && !force) {
    throw new FileExists(`refusing to overwrite ${existing.join(', ')} (use --force)`);
  }
  pairs.forEach(({ issued }, i) => {
    writeWhole(targets[i].key, issued.keyPem, 0o600);
    writeWhole(targets[i].cert, issued.certPem, 0o644);
  });
  return targets.flatMap((t) => [t.cert, t.key]);
}

export function readAuthority(dir: string): Authority {
  const files = pairFiles(dir, CA_BASE);
  for (const file of [files.cert, files.key]) {
    if (!existsSync(file)) throw new Error(`${file} does not exist (run "master-gateway certs init --out ${dir}")`);
  }
  try {
    return loadAuthority(readFileSync(files.cert, 'utf8'), readFileSync(files.key, 'utf8'));
  } catch (err) {
    throw new Error(`${files.cert} / ${files.key}: ${(err as Error).message}`);
  }
}

export interface InitOptions extends ValidityOptions {
  names?: string[];
  force?: boolean;
}

/** CA + server + administrator certificates, the original `-c`. */
export function initPki(dir: string, options: InitOptions = {}): { ca: Issued & Authority; server: Issued; admin: Issued } {
  const names = [...new Set([...DEFAULT_SERVER_NAMES, ...(options.names ?? [])])];
  const { subject, ...validity } = options;
  const ca = createAuthority({ ...validity, subject });
  const server = issueLeaf(ca, { kind: 'server', names }, validity);
  const admin = issueLeaf(ca, { kind: 'admin', identity: { kind: 'admin', tenantId: ADMIN_TENANT } }, validity);
  writePairs(
    dir,
    [
      { base: CA_BASE, issued: ca },
      { base: SERVER_BASE, issued: server },
      { base: ADMIN_BASE, issued: admin },
    ],
    options.force ?? false,
  );
  return { ca, server, admin };
}

export const devServerNames = (extra: string[]) => [hostname(), ...extra];

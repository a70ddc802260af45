/** A PKI made at test time: a CA, server, administrator and tenant certificates in a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authority, createAuthority, Issued, issueLeaf, ValidityOptions } from '../../src/pki/authority';
import { initPki } from '../../src/pki/cert-dir';
import { ADMIN_TENANT, CertIdentity } from '../../src/pki/profile';

export interface ClientPair {
  certPem: string;
  keyPem: string;
  serial: bigint;
}

export interface TestPki {
  dir: string;
  ca: Authority;
  caPem: string;
  admin: ClientPair;
  issue(identity: CertIdentity, options?: ValidityOptions): ClientPair;
  tenant(tenantId: string, options?: ValidityOptions): ClientPair;
  gateway(tenantId: string, gatewayId: string, options?: ValidityOptions): ClientPair;
  server: ClientPair;
  cleanup(): void;
}

const pair = (issued: Issued): ClientPair => ({ certPem: issued.certPem, keyPem: issued.keyPem, serial: issued.record.serial });

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'mgw-pki-'));
  const { ca, server, admin } = initPki(join(dir, 'certs'));
  const authority: Authority = ca;
  const issue = (identity: CertIdentity, options?: ValidityOptions) => pair(issueLeaf(authority, { kind: identity.kind, identity }, options));
  return {
    dir,
    ca: authority,
    caPem: ca.certPem,
    admin: pair(admin),
    server: pair(server),
    issue,
    tenant: (tenantId, options) => issue({ kind: tenantId === ADMIN_TENANT ? 'admin' : 'tenant', tenantId } as CertIdentity, options),
    gateway: (tenantId, gatewayId, options) => issue({ kind: 'gateway', tenantId, gatewayId }, options),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A CA the gateway has never seen, with one tenant certificate. */
export function foreignTenant(tenantId: string): ClientPair & { caPem: string } {
  const ca = createAuthority();
  return { ...pair(issueLeaf(ca, { kind: 'tenant', identity: { kind: 'tenant', tenantId } })), caPem: ca.certPem };
}

/** The first line of a PKCS#8 private key PEM (spelled in two parts so no file here looks like it holds a key). */
export const PKCS8_FIRST_LINE = ['-----BEGIN', 'PRIVATE KEY-----'].join(' ');

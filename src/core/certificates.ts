/**
 * The certificate lifecycle behind the Tenant and Gateway APIs: issuing (the key is returned once and
 * never stored), issuance history, and the per-owner blacklist. A serial is only ever touched through
 * its owner: another owner's serial is "not found".
 */
import { CertificateNotFound, NoCaKey } from '../errors';
import { Authority, issueLeafAsync } from '../pki/authority';
import { CertIdentity, PkiName } from '../pki/profile';
import { CertificateRecord, Store } from '../store/store';
import { Clock, unixSeconds } from './clock';
import { Directory } from './directory';

export type Owner = { kind: 'tenant'; tenantId: string } | { kind: 'gateway'; tenantId: string; gatewayId: string };

export interface Certificates {
  issue(identity: CertIdentity, subject: PkiName, years: number): Promise<{ certPem: string; keyPem: string; serial: bigint }>;
  history(owner: Owner): Promise<CertificateRecord[]>;
  blacklisted(owner: Owner): Promise<CertificateRecord[]>;
  blacklist(owner: Owner, serials: bigint[]): Promise<void>;
  unblacklist(owner: Owner, serials: bigint[]): Promise<void>;
}

const owns = (owner: Owner, r: CertificateRecord) =>
  owner.kind === 'tenant'
    ? (r.kind === 'tenant' || r.kind === 'admin') && r.tenantId === owner.tenantId
    : r.kind === 'gateway' && r.gatewayId === owner.gatewayId && r.tenantId === owner.tenantId;

const describe = (owner: Owner) => (owner.kind === 'tenant' ? `tenant ${owner.tenantId}` : `gateway ${owner.gatewayId}`);

export function createCertificates(
  store: Store,
  directory: Directory,
  clock: Clock,
  authority: Authority | undefined,
  onBlacklisted: () => void,
): Certificates {
  async function history(owner: Owner): Promise<CertificateRecord[]> {
    const filter = owner.kind === 'tenant' ? { tenantId: owner.tenantId } : { gatewayId: owner.gatewayId };
    return (await store.listCertificates(filter)).filter((r) => owns(owner, r));
  }

  async function requireOwned(owner: Owner, serials: bigint[]): Promise<void> {
    for (const serial of serials) {
      const record = await store.findCertificate(serial);
      if (!record || !owns(owner, record)) throw new CertificateNotFound(`no certificate with serial ${serial} was issued to ${describe(owner)}`);
    }
  }

  return {
    async issue(identity, subject, years) {
      if (!authority) throw new NoCaKey('this gateway has no CA key (ca_key.pem) and cannot issue certificates');
      const issued = await issueLeafAsync(authority, { kind: identity.kind, identity }, { years, subject });
      await store.recordCertificate(issued.record);
      return { certPem: issued.certPem, keyPem: issued.keyPem, serial: issued.record.serial };
    },
    history,
    async blacklisted(owner) {
      return (await history(owner)).filter((r) => r.blacklisted);
    },
    async blacklist(owner, serials) {
      await requireOwned(owner, serials);
      const addedAt = unixSeconds(clock);
      const gatewayId = owner.kind === 'gateway' ? owner.gatewayId : null;
      await store.addBlacklist(serials.map((serial) => ({ serial, tenantId: owner.tenantId, gatewayId, addedAt })));
      await directory.refresh('blacklist');
      onBlacklisted();
    },
    async unblacklist(owner, serials) {
      await requireOwned(owner, serials);
      await store.removeBlacklist(serials);
      await directory.refresh('blacklist');
    },
  };
}

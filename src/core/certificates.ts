/**
 * The certificate lifecycle behind the Tenant and Gateway APIs: issuing (the key is returned once and
 * never stored), issuance history, and the per-owner blacklist. Through the APIs a serial is only ever
 * touched through its owner (another owner's serial is "not found"); the operator (the CLI) may touch any.
 */
import { CertificateNotFound, InvalidArgument, NoCaKey, RateLimited } from '../errors';
import { Authority, issueLeafAsync } from '../pki/authority';
import { CertIdentity, PkiName } from '../pki/profile';
import { BlacklistEntry, CertificateFilter, CertificateRecord, Store } from '../store/store';
import { Clock, unixSeconds } from './clock';
import { Directory } from './directory';
import { createTokenBuckets } from './token-buckets';

/** Certificates one tenant may have issued per minute, in a burst of as many. */
export const DEFAULT_CERTIFICATES_PER_MINUTE = 30;

export type Owner = { kind: 'tenant'; tenantId: string } | { kind: 'gateway'; tenantId: string; gatewayId: string };

/** The key is handed out here once and never stored. */
export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  serial: bigint;
}

export interface Certificates {
  issue(identity: CertIdentity, subject: PkiName, years: number): Promise<IssuedCertificate>;
  /** Each owner's certificates (or only the blacklisted ones), in the owners' order: one store query for all. */
  historyOf<O extends Owner>(owners: O[], onlyBlacklisted: boolean): Promise<{ owner: O; records: CertificateRecord[] }[]>;
  blacklist(owner: Owner, serials: bigint[]): Promise<void>;
  unblacklist(owner: Owner, serials: bigint[]): Promise<void>;
  /** The operator's view (the CLI): every recorded certificate the filter matches, deleted tenants' included. */
  list(filter: CertificateFilter): Promise<CertificateRecord[]>;
  /**
   * The operator's blacklisting (the CLI), not scoped to an owner: the serial's recorded owner, or, for
   * a certificate the gateway did not issue (made with openssl), the owner named. Says whose it was.
   */
  blacklistSerial(serial: bigint, named?: OwnerIds): Promise<OwnerIds>;
  /** The operator's unblacklisting: CertificateNotFound for a serial neither recorded nor blacklisted. */
  unblacklistSerial(serial: bigint): Promise<void>;
}

export type OwnerIds = Pick<BlacklistEntry, 'tenantId' | 'gatewayId'>;

/** One key per owner, and the key of the owner a record belongs to (tenant and admin certificates belong to their tenant). */
const ownerKey = (owner: Owner) => (owner.kind === 'tenant' ? `t\u0000${owner.tenantId}` : `g\u0000${owner.tenantId}\u0000${owner.gatewayId}`);
const recordOwnerKey = (r: CertificateRecord): string | undefined => {
  if ((r.kind === 'tenant' || r.kind === 'admin') && r.tenantId !== null) return ownerKey({ kind: 'tenant', tenantId: r.tenantId });
  if (r.kind === 'gateway' && r.tenantId !== null && r.gatewayId !== null) return ownerKey({ kind: 'gateway', tenantId: r.tenantId, gatewayId: r.gatewayId });
  return undefined;
};

const owns = (owner: Owner, r: CertificateRecord) => recordOwnerKey(r) === ownerKey(owner);

const describe = (owner: Owner) => (owner.kind === 'tenant' ? `tenant ${owner.tenantId}` : `gateway ${owner.gatewayId}`);

export function createCertificates(
  store: Store,
  directory: Directory,
  clock: Clock,
  authority: Authority | undefined,
  onBlacklisted: () => void,
  perMinute = DEFAULT_CERTIFICATES_PER_MINUTE,
): Certificates {
  // Per owner tenant (a tenant's gateway certificates count against it), in this process.
  const issuance = createTokenBuckets({ capacity: perMinute, periodMs: 60_000, clock });

  async function historyOf<O extends Owner>(owners: O[], onlyBlacklisted: boolean): Promise<{ owner: O; records: CertificateRecord[] }[]> {
    if (owners.length === 0) return [];
    const tenantIds = owners.filter((o) => o.kind === 'tenant').map((o) => o.tenantId);
    const gatewayIds = owners.flatMap((o) => (o.kind === 'gateway' ? [o.gatewayId] : []));
    // Owners of one kind per call (the Tenant or the Gateway API); both kinds would take two queries.
    const queries = [];
    if (tenantIds.length) queries.push(store.listCertificates({ tenantIds }));
    if (gatewayIds.length) queries.push(store.listCertificates({ gatewayIds }));
    const byOwner = new Map<string, CertificateRecord[]>();
    for (const r of (await Promise.all(queries)).flat()) {
      if (onlyBlacklisted && !r.blacklisted) continue;
      const key = recordOwnerKey(r);
      if (key === undefined) continue;
      const list = byOwner.get(key);
      if (list) list.push(r);
      else byOwner.set(key, [r]);
    }
    return owners.map((owner) => ({ owner, records: byOwner.get(ownerKey(owner)) ?? [] }));
  }

  async function requireOwned(owner: Owner, serials: bigint[]): Promise<void> {
    for (const serial of serials) {
      const record = await store.findCertificate(serial);
      if (!record || !owns(owner, record)) throw new CertificateNotFound(`no certificate with serial ${serial} was issued to ${describe(owner)}`);
    }
  }

  /** One way onto the blacklist: in force in this process before the call returns. */
  async function addToBlacklist(entries: BlacklistEntry[]): Promise<void> {
    await store.addBlacklist(entries);
    await directory.refresh('blacklist');
    onBlacklisted();
  }

  async function removeFromBlacklist(serials: bigint[]): Promise<void> {
    await store.removeBlacklist(serials);
    await directory.refresh('blacklist');
  }

  return {
    async issue(identity, subject, years) {
      if (!authority) throw new NoCaKey('this gateway has no CA key (ca_key.pem) and cannot issue certificates');
      const waitMs = issuance.take(identity.tenantId);
      if (waitMs > 0) {
        throw new RateLimited(`tenant ${identity.tenantId} may have ${perMinute} certificates issued per minute; try again later`, Math.ceil(waitMs / 1000));
      }
      const issued = await issueLeafAsync(authority, { kind: identity.kind, identity }, { years, subject });
      await store.recordCertificate(issued.record);
      return { certPem: issued.certPem, keyPem: issued.keyPem, serial: issued.record.serial };
    },
    historyOf,
    async blacklist(owner, serials) {
      await requireOwned(owner, serials);
      const addedAt = unixSeconds(clock);
      const gatewayId = owner.kind === 'gateway' ? owner.gatewayId : null;
      await addToBlacklist(serials.map((serial) => ({ serial, tenantId: owner.tenantId, gatewayId, addedAt })));
    },
    async unblacklist(owner, serials) {
      await requireOwned(owner, serials);
      await removeFromBlacklist(serials);
    },
    list: (filter) => store.listCertificates(filter),
    async blacklistSerial(serial, named) {
      const record = await store.findCertificate(serial);
      let owner: OwnerIds | undefined;
      if (record?.tenantId) owner = { tenantId: record.tenantId, gatewayId: record.gatewayId };
      // A record without an owner (the CA's, the server's) takes the tenant named but keeps its gateway (none).
      else if (named) owner = { tenantId: named.tenantId, gatewayId: record ? record.gatewayId : named.gatewayId };
      if (!owner) throw new InvalidArgument(`serial ${serial} is not in the issuance history; say whose it is`);
      await addToBlacklist([{ serial, ...owner, addedAt: unixSeconds(clock) }]);
      return owner;
    },
    async unblacklistSerial(serial) {
      if (!directory.isBlacklisted(serial) && !(await store.findCertificate(serial))) {
        throw new CertificateNotFound(`no certificate with serial ${serial} is recorded or blacklisted`);
      }
      await removeFromBlacklist([serial]);
    },
  };
}

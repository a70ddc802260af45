/** Tenant administration (the Tenant API and the CLI): batches are all-or-nothing. */
import { FailedPrecondition, TenantNotFound } from '../errors';
import { quotaExceeded } from '../store/gateway-quota';
import { ADMIN_TENANT, PkiName } from '../pki/profile';
import { CertificateRecord, GatewayRecord, Store, TenantRecord } from '../store/store';
import { Certificates, IssuedCertificate } from './certificates';
import { Clock } from './clock';
import { Directory } from './directory';

export interface Tenants {
  /** Every registered tenant ID, sorted, read from the store. */
  list(): Promise<string[]>;
  get(tenantIds: string[]): Promise<TenantRecord[]>;
  add(tenants: TenantRecord[]): Promise<void>;
  delete(tenantIds: string[]): Promise<void>;
  addGateways(tenantId: string, gatewayIds: string[]): Promise<void>;
  /** Gateways of one tenant or several, all or nothing. */
  deleteGateways(gateways: GatewayRecord[]): Promise<void>;
  /** TenantNotFound naming every ID that is not registered. */
  requireExisting(tenantIds: string[]): Promise<void>;
  /** For a registered tenant; the administrator tenant's certificate is an administrator certificate. */
  issueCertificate(tenantId: string, subject: PkiName, years: number): Promise<IssuedCertificate>;
  /** The certificates of the tenants named (or of every tenant), or only the blacklisted ones. */
  certificates(tenantIds: string[], onlyBlacklisted: boolean): Promise<{ tenantId: string; records: CertificateRecord[] }[]>;
}

/** Gateways one tenant may register (G-SDK deployments have tens to hundreds). */
export const DEFAULT_MAX_GATEWAYS_PER_TENANT = 1000;

export interface TenantsDeps {
  store: Store;
  directory: Directory;
  clock: Clock;
  certificates: Certificates;
  /** Ends the sessions and channels of gateways that no longer exist. */
  onGatewaysRemoved: () => void;
  maxGatewaysPerTenant?: number;
}

/** Every write goes through `directory.write`, which applies it in memory instead of rereading every registration. */
export function createTenants({ store, directory, clock, certificates, onGatewaysRemoved, maxGatewaysPerTenant = DEFAULT_MAX_GATEWAYS_PER_TENANT }: TenantsDeps): Tenants {
  async function requireExisting(tenantIds: string[]): Promise<void> {
    const known = await Promise.all(tenantIds.map((id) => directory.hasTenant(id)));
    const missing = tenantIds.filter((_id, i) => !known[i]);
    if (missing.length) throw new TenantNotFound(`unknown tenant${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  }

  /** The tenants named, or every tenant when none is named (the G-SDK's empty list); TenantNotFound for an unknown one. */
  async function named(tenantIds: string[]): Promise<string[]> {
    if (tenantIds.length === 0) return store.listTenants();
    await requireExisting(tenantIds);
    return tenantIds;
  }

  return {
    requireExisting,
    list: () => store.listTenants(),
    async get(tenantIds) {
      await requireExisting(tenantIds);
      return tenantIds.map((tenantId) => ({ tenantId, gatewayIds: [...directory.gatewayIds(tenantId)] }));
    },
    async add(tenants) {
      const over = tenants.find((t) => t.gatewayIds.length > maxGatewaysPerTenant);
      if (over) throw quotaExceeded(over.tenantId, 0, over.gatewayIds.length, maxGatewaysPerTenant);
      const added = tenants.flatMap((t) => t.gatewayIds.map((gatewayId) => ({ gatewayId, tenantId: t.tenantId })));
      await directory.write(() => store.addTenants(tenants), { tenantsChanged: true, added });
    },
    async delete(tenantIds) {
      if (tenantIds.includes(ADMIN_TENANT)) throw new FailedPrecondition('the administrator tenant can never be deleted');
      await requireExisting(tenantIds);
      // Blacklist first, so a tenant ID that is later reused does not revive these certificates
      // (or the tokens bound to them). A crash in between leaves the tenant in place, certificates dead.
      const addedAt = Math.floor(clock() / 1000);
      const issued = (await Promise.all(tenantIds.map((tenantId) => store.listCertificates({ tenantId })))).flat();
      await store.addBlacklist(issued.map((c) => ({ serial: c.serial, tenantId: c.tenantId!, gatewayId: c.gatewayId, addedAt })));
      await directory.write(() => store.deleteTenants(tenantIds), { tenantsChanged: true, removedTenants: tenantIds });
      await directory.refresh('blacklist');
      onGatewaysRemoved();
    },
    async addGateways(tenantId, gatewayIds) {
      await requireExisting([tenantId]);
      await directory.write(() => store.addGateways(tenantId, gatewayIds, maxGatewaysPerTenant), { added: gatewayIds.map((gatewayId) => ({ gatewayId, tenantId })) });
    },
    async deleteGateways(gateways) {
      await requireExisting([...new Set(gateways.map((g) => g.tenantId))]);
      await directory.write(() => store.deleteGateways(gateways), { removed: gateways });
      onGatewaysRemoved();
    },
    async issueCertificate(tenantId, subject, years) {
      await requireExisting([tenantId]);
      return certificates.issue(tenantId === ADMIN_TENANT ? { kind: 'admin', tenantId } : { kind: 'tenant', tenantId }, subject, years);
    },
    async certificates(tenantIds, onlyBlacklisted) {
      const owners = (await named(tenantIds)).map((tenantId) => ({ kind: 'tenant' as const, tenantId }));
      return (await certificates.historyOf(owners, onlyBlacklisted)).map(({ owner, records }) => ({ tenantId: owner.tenantId, records }));
    },
  };
}

/** Tenant administration (the Tenant API and the CLI): batches are all-or-nothing. */
import { FailedPrecondition, TenantNotFound } from '../errors';
import { ADMIN_TENANT } from '../pki/profile';
import { Store, TenantRecord } from '../store/store';
import { Clock } from './clock';
import { Directory } from './directory';

export interface Tenants {
  list(): string[];
  get(tenantIds: string[]): TenantRecord[];
  add(tenants: TenantRecord[]): Promise<void>;
  delete(tenantIds: string[]): Promise<void>;
  addGateways(tenantId: string, gatewayIds: string[]): Promise<void>;
  deleteGateways(tenantId: string, gatewayIds: string[]): Promise<void>;
  requireExisting(tenantIds: string[]): void;
}

/** `onGatewaysRemoved` ends the sessions and channels of gateways that no longer exist. */
export function createTenants(store: Store, directory: Directory, clock: Clock, onGatewaysRemoved: () => void): Tenants {
  function requireExisting(tenantIds: string[]): void {
    const missing = tenantIds.filter((id) => !directory.hasTenant(id));
    if (missing.length) throw new TenantNotFound(`unknown tenant${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  }

  return {
    requireExisting,
    list: () => directory.tenantIds(),
    get(tenantIds) {
      requireExisting(tenantIds);
      return tenantIds.map((tenantId) => ({ tenantId, gatewayIds: [...directory.gatewayIds(tenantId)] }));
    },
    async add(tenants) {
      await store.addTenants(tenants);
      await directory.refresh('tenants');
    },
    async delete(tenantIds) {
      if (tenantIds.includes(ADMIN_TENANT)) throw new FailedPrecondition('the administrator tenant can never be deleted');
      requireExisting(tenantIds);
      // Blacklist first, so a tenant ID that is later reused does not revive these certificates
      // (or the tokens bound to them). A crash in between leaves the tenant in place, certificates dead.
      const addedAt = Math.floor(clock() / 1000);
      const issued = (await Promise.all(tenantIds.map((tenantId) => store.listCertificates({ tenantId })))).flat();
      await store.addBlacklist(issued.map((c) => ({ serial: c.serial, tenantId: c.tenantId!, gatewayId: c.gatewayId, addedAt })));
      await store.deleteTenants(tenantIds);
      await directory.refresh('blacklist');
      await directory.refresh('tenants');
      onGatewaysRemoved();
    },
    async addGateways(tenantId, gatewayIds) {
      requireExisting([tenantId]);
      await store.addGateways(tenantId, gatewayIds);
      await directory.refresh('tenants');
    },
    async deleteGateways(tenantId, gatewayIds) {
      requireExisting([tenantId]);
      await store.deleteGateways(tenantId, gatewayIds);
      await directory.refresh('tenants');
      onGatewaysRemoved();
    },
  };
}

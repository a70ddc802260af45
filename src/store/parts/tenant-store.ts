/** Tenants and the device gateways registered to them. */
import { randomBytes } from 'node:crypto';

export interface TenantRecord {
  tenantId: string;
  gatewayIds: string[];
}

export interface GatewayRecord {
  gatewayId: string;
  tenantId: string;
}

/** A new tenant generation: 96 random bits, base64url (16 characters). */
export const newTenantGeneration = () => randomBytes(12).toString('base64url');

export interface TenantStore {
  listTenants(): Promise<string[]>;
  /** One indexed lookup: whether the tenant is registered. */
  hasTenant(tenantId: string): Promise<boolean>;
  /**
   * The tenant's generation (a random ID given each time the tenant is added; '' for tenants made
   * before generations existed), or undefined when it is not registered. One indexed lookup.
   */
  tenantGeneration(tenantId: string): Promise<string | undefined>;
  /** Only the tenants that exist, in the order asked. */
  getTenants(tenantIds: string[]): Promise<TenantRecord[]>;
  /** All or nothing; throws AlreadyExists (tenant or gateway ID taken) and adds nothing. */
  addTenants(tenants: TenantRecord[]): Promise<void>;
  /** All or nothing; throws TenantNotFound. Removes the tenants' gateway registrations too. */
  deleteTenants(tenantIds: string[]): Promise<void>;

  listGateways(tenantId?: string): Promise<GatewayRecord[]>;
  findGateway(gatewayId: string): Promise<GatewayRecord | undefined>;
  /**
   * All or nothing; throws TenantNotFound or AlreadyExists, and QuotaExceeded when the tenant would
   * then have more than `maxPerTenant` gateways (counted in the same transaction, so parallel adds
   * cannot pass the bound together).
   */
  addGateways(tenantId: string, gatewayIds: string[], maxPerTenant?: number): Promise<void>;
  /**
   * All or nothing, across tenants too: throws GatewayNotFound naming the first gateway not registered
   * to the tenant given with it, and deletes nothing.
   */
  deleteGateways(gateways: GatewayRecord[]): Promise<void>;
}

/**
 * Device gateways as a tenant sees them: only its own. A gateway of another tenant is reported
 * exactly like one that does not exist. The administrator's own token sees every gateway.
 */
import { GatewayNotFound } from '../errors';
import { CertificateRecord } from '../store/store';
import { GatewayScope } from './access';
import { Certificates, Owner } from './certificates';
import { Directory } from './directory';
import { StatusHub } from './status-hub';
import { Tenants } from './tenants';

export interface GatewayInfo {
  gatewayId: string;
  tenantId: string;
  deviceIds: number[];
  isConnected: boolean;
}

export interface Gateways {
  list(scope: GatewayScope): readonly string[];
  get(scope: GatewayScope, gatewayIds: string[]): GatewayInfo[];
  add(scope: GatewayScope, gatewayIds: string[]): Promise<void>;
  delete(scope: GatewayScope, gatewayIds: string[]): Promise<void>;
  /** The gateway as the owner of certificates (issue, blacklist), or GatewayNotFound when it is not in scope. */
  owner(scope: GatewayScope, gatewayId: string): GatewayOwner;
  /** The certificates of the gateways named (or of every gateway in scope), or only the blacklisted ones. */
  certificates(scope: GatewayScope, gatewayIds: string[], onlyBlacklisted: boolean): Promise<{ gatewayId: string; records: CertificateRecord[] }[]>;
}

export type GatewayOwner = Extract<Owner, { kind: 'gateway' }>;

export function createGateways(directory: Directory, hub: StatusHub, tenants: Tenants, certificates: Certificates): Gateways {
  /** Owner tenant of each gateway in scope, or GatewayNotFound. */
  function resolve(scope: GatewayScope, gatewayIds: string[]) {
    return gatewayIds.map((gatewayId) => {
      const owner = directory.gatewayOwner(gatewayId);
      if (owner === undefined || (!scope.all && owner !== scope.tenantId)) throw new GatewayNotFound(`gateway ${gatewayId} does not exist`);
      return { gatewayId, tenantId: owner };
    });
  }

  /** The gateways named, or every gateway in scope when none is named (the G-SDK's empty list). */
  const named = (scope: GatewayScope, gatewayIds: string[]) =>
    resolve(scope, gatewayIds.length === 0 ? [...directory.gatewayIds(scope.all ? undefined : scope.tenantId)] : gatewayIds);

  return {
    list: (scope) => directory.gatewayIds(scope.all ? undefined : scope.tenantId),
    get(scope, gatewayIds) {
      return resolve(scope, gatewayIds).map(({ gatewayId, tenantId }) => ({
        gatewayId,
        tenantId,
        deviceIds: hub.deviceIds(gatewayId),
        isConnected: hub.isConnected(gatewayId),
      }));
    },
    add: (scope, gatewayIds) => tenants.addGateways(scope.tenantId, gatewayIds),
    // One transaction, even when the administrator's list spans several tenants.
    delete: (scope, gatewayIds) => tenants.deleteGateways(resolve(scope, gatewayIds)),
    owner: (scope, gatewayId) => ({ kind: 'gateway', ...resolve(scope, [gatewayId])[0] }),
    async certificates(scope, gatewayIds, onlyBlacklisted) {
      const owners = named(scope, gatewayIds).map((g) => ({ kind: 'gateway' as const, ...g }));
      return (await certificates.historyOf(owners, onlyBlacklisted)).map(({ owner, records }) => ({ gatewayId: owner.gatewayId, records }));
    },
  };
}

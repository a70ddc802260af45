/**
 * Device gateways as a tenant sees them: only its own. A gateway of another tenant is reported
 * exactly like one that does not exist. The administrator's own token sees every gateway.
 */
import { GatewayNotFound } from '../errors';
import { GatewayScope } from './access';
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
  /** Owner tenant of each gateway in scope, or GatewayNotFound. */
  resolve(scope: GatewayScope, gatewayIds: string[]): { gatewayId: string; tenantId: string }[];
  get(scope: GatewayScope, gatewayIds: string[]): GatewayInfo[];
  add(scope: GatewayScope, gatewayIds: string[]): Promise<void>;
  delete(scope: GatewayScope, gatewayIds: string[]): Promise<void>;
}

export function createGateways(directory: Directory, hub: StatusHub, tenants: Tenants): Gateways {
  function resolve(scope: GatewayScope, gatewayIds: string[]) {
    return gatewayIds.map((gatewayId) => {
      const owner = directory.gatewayOwner(gatewayId);
      if (owner === undefined || (!scope.all && owner !== scope.tenantId)) throw new GatewayNotFound(`gateway ${gatewayId} does not exist`);
      return { gatewayId, tenantId: owner };
    });
  }

  return {
    list: (scope) => directory.gatewayIds(scope.all ? undefined : scope.tenantId),
    resolve,
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
  };
}

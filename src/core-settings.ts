/**
 * The core's settings from the configuration: one mapping for `serve` and every CLI command, so no
 * door runs on the defaults while another runs on the configured values.
 */
import { Config } from './config';
import { CoreSettings } from './core/create-core';

export function coreSettings(config: Config): Required<CoreSettings> {
  return {
    tokenIssuer: config.tokenIssuer,
    tokenTtlSeconds: config.tokenTtlSeconds,
    passwordCost: { memoryKib: config.passwordMemoryKib, timeCost: config.passwordTimeCost, parallelism: 1 },
    lockoutThreshold: config.lockoutThreshold,
    lockoutSeconds: config.lockoutSeconds,
    presence: { heartbeatMs: config.presenceHeartbeatMs },
    maxGatewaysPerTenant: config.maxGatewaysPerTenant,
    certificatesPerMinute: config.certificatesPerMinute,
    auditRetentionDays: config.auditRetentionDays,
    statusSubscribersPerTenant: config.statusSubscribersPerTenant,
  };
}

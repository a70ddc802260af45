/** Which gateway instance holds each device gateway's command channel, for status across instances. */

export interface PresenceRecord {
  gatewayId: string;
  tenantId: string;
  instanceId: string;
  deviceIds: number[];
  /** Unix ms. */
  since: number;
}

export interface PresenceStore {
  /** A device gateway's command channel held by one gateway instance. */
  putPresence(record: PresenceRecord): Promise<void>;
  removePresence(gatewayId: string, instanceId: string): Promise<void>;
  /** Marks the instance alive at `at` (ms); presence of instances not seen since `aliveSince` is ignored. */
  heartbeat(instanceId: string, at: number): Promise<void>;
  listPresence(aliveSince: number): Promise<PresenceRecord[]>;
  /** An instance shutting down: its presence goes at once. */
  retireInstance(instanceId: string): Promise<void>;
}

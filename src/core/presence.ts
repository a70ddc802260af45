/**
 * Device gateway status across gateway instances on one store: each instance records the channels
 * it holds and heartbeats; the others read that (on every change notice, and at each heartbeat to
 * notice instances that died) and publish CONNECTED / DISCONNECTED as if the channel were local.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from 'pino';
import { Store } from '../store/store';
import { Clock } from './clock';
import { RemoteLink, StatusHub } from './status-hub';

export interface Presence {
  readonly instanceId: string;
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export interface PresenceOptions {
  heartbeatMs?: number;
  /** An instance not seen for this long is taken for dead and its channels for closed. */
  ttlMs?: number;
}

export async function createPresence(store: Store, hub: StatusHub, clock: Clock, log: Logger, options: PresenceOptions = {}): Promise<Presence> {
  const instanceId = randomUUID();
  const heartbeatMs = options.heartbeatMs ?? 5000;
  const ttlMs = options.ttlMs ?? 3 * heartbeatMs;
  const warn = (what: string) => (err: unknown) => log.warn({ err, instanceId }, `presence: ${what} failed`);

  hub.onLocalChange((gatewayId, tenantId, connected, deviceIds) => {
    const write = connected
      ? store.putPresence({ gatewayId, tenantId, instanceId, deviceIds, since: clock() })
      : store.removePresence(gatewayId, instanceId);
    write.catch(warn('recording a channel'));
  });

  async function refresh(): Promise<void> {
    const records = await store.listPresence(clock() - ttlMs);
    const remote = new Map<string, RemoteLink>();
    for (const r of records) if (r.instanceId !== instanceId) remote.set(r.gatewayId, { tenantId: r.tenantId, deviceIds: r.deviceIds });
    hub.setRemote(remote);
  }

  const beat = async () => {
    await store.heartbeat(instanceId, clock());
    await refresh();
  };
  await beat();
  const timer = setInterval(() => beat().catch(warn('heartbeat')), heartbeatMs);
  timer.unref();

  return {
    instanceId,
    refresh,
    async close() {
      clearInterval(timer);
      await store.retireInstance(instanceId).catch(warn('retiring'));
    },
  };
}

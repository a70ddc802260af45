/**
 * Device gateway status across gateway instances on one store: each instance records the channels
 * it holds and heartbeats; the others read that (on every change notice, and at each heartbeat to
 * notice instances that died) and publish CONNECTED / DISCONNECTED as if the channel were local.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from 'pino';
import { PresenceStore } from '../store/store';
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

export async function createPresence(store: PresenceStore, hub: StatusHub, clock: Clock, log: Logger, options: PresenceOptions = {}): Promise<Presence> {
  const instanceId = randomUUID();
  const heartbeatMs = options.heartbeatMs ?? 5000;
  const ttlMs = options.ttlMs ?? 3 * heartbeatMs;
  const warn = (what: string) => (err: unknown) => log.warn({ err, instanceId }, `presence: ${what} failed`);

  const writer = presenceWriter(store, instanceId, warn('recording a channel'));
  hub.onLocalChange((gatewayId, tenantId, connected, deviceIds) => writer.want(gatewayId, { tenantId, connected, deviceIds, since: clock() }));

  async function refresh(): Promise<void> {
    const records = await store.listPresence(clock() - ttlMs);
    const remote = new Map<string, RemoteLink>();
    for (const r of records) if (r.instanceId !== instanceId) remote.set(r.gatewayId, { tenantId: r.tenantId, deviceIds: r.deviceIds });
    hub.setRemote(remote);
  }

  const beat = async () => {
    writer.retry();
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
      await writer.settled();
      await store.retireInstance(instanceId).catch(warn('retiring'));
    },
  };
}

interface ChannelState {
  tenantId: string;
  connected: boolean;
  deviceIds: number[];
  since: number;
}

/**
 * Writes this instance's channel states to the store one at a time per gateway, newest wins.
 * Fired off unordered, a connect's record and the device list sent right after it (or a connect
 * and a quick disconnect) could commit in either order on a pooled database and leave the other
 * instances a stale record until the next change. A write that fails is kept, unless a newer state
 * came meanwhile, and tried again at the next heartbeat.
 */
function presenceWriter(store: PresenceStore, instanceId: string, warn: (err: unknown) => void) {
  const wanted = new Map<string, ChannelState>();
  const writing = new Map<string, Promise<void>>();

  const write = (gatewayId: string, s: ChannelState) =>
    s.connected
      ? store.putPresence({ gatewayId, tenantId: s.tenantId, instanceId, deviceIds: s.deviceIds, since: s.since })
      : store.removePresence(gatewayId, instanceId);

  async function drain(gatewayId: string): Promise<void> {
    for (let next = wanted.get(gatewayId); next; next = wanted.get(gatewayId)) {
      wanted.delete(gatewayId);
      try {
        await write(gatewayId, next);
      } catch (err) {
        if (!wanted.has(gatewayId)) wanted.set(gatewayId, next);
        warn(err);
        return;
      }
    }
  }

  const start = (gatewayId: string) => {
    if (writing.has(gatewayId)) return;
    writing.set(gatewayId, drain(gatewayId).finally(() => writing.delete(gatewayId)));
  };

  return {
    want(gatewayId: string, state: ChannelState) {
      wanted.set(gatewayId, state);
      start(gatewayId);
    },
    /** Tries again the states whose write failed. */
    retry() {
      for (const gatewayId of wanted.keys()) start(gatewayId);
    },
    /** Resolves when no write is in flight. */
    async settled() {
      while (writing.size > 0) await Promise.all(writing.values());
    },
  };
}

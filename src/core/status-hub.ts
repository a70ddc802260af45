/**
 * Which device gateways are connected (an open InitCommandChan), the devices they reported (their
 * device list, kept current by their device-status channel), and the SubscribeStatus subscribers.
 * A subscriber gets a bounded queue: when it falls more than `queueSize` changes behind, its stream
 * is ended with RESOURCE_EXHAUSTED (so it knows it missed changes and can re-read Gateway.Get), and
 * it never slows the others or the server. Each tenant may hold at most `subscribersPerTenant`
 * subscribers: each holds a stream, a queue and a share of every change, so one tenant must not be
 * able to open them without end.
 */
import { ResourceExhausted, ShuttingDown } from '../errors';
import { Clock, unixSeconds } from './clock';

export interface StatusChangeEvent {
  gatewayId: string;
  tenantId: string;
  connected: boolean;
  /** Unix seconds. */
  timestamp: number;
}

export interface StatusSink {
  /** false = the transport is full; wait for onDrain before writing more. */
  write(event: StatusChangeEvent): boolean;
  onDrain(callback: () => void): void;
  end(error?: Error): void;
}

export const DEFAULT_STATUS_QUEUE = 64;
export const MAX_STATUS_QUEUE = 4096;
export const DEFAULT_SUBSCRIBERS_PER_TENANT = 64;

export interface StatusHubOptions {
  subscribersPerTenant?: number;
}

/** Ends a channel; `reason` is given when the gateway itself shuts down. */
export type EndChannel = (reason?: Error) => void;

interface Link {
  tenantId: string;
  /** Command channels: the gateway is CONNECTED while it has one. */
  channels: Set<EndChannel>;
  /** Log and device-status channels: they end with the gateway but do not make it CONNECTED. */
  feeds: Set<EndChannel>;
  deviceIds: number[];
}

/** A gateway whose channel another instance holds. */
export interface RemoteLink {
  tenantId: string;
  deviceIds: number[];
}

export interface StatusHub {
  /** What other instances hold; changes of the overall state are published like local ones. */
  setRemote(remote: Map<string, RemoteLink>): void;
  /** Tells the presence layer when this instance's own channels come and go. */
  onLocalChange(listener: (gatewayId: string, tenantId: string, connected: boolean, deviceIds: number[]) => void): void;
  /** Marks the gateway CONNECTED while the returned release has not been called; `kick` ends the channel. */
  connect(gatewayId: string, tenantId: string, kick: EndChannel): () => void;
  /** A channel of the gateway that `kick` and `close` end too, without making it CONNECTED. */
  attach(gatewayId: string, tenantId: string, end: EndChannel): () => void;
  isConnected(gatewayId: string): boolean;
  deviceIds(gatewayId: string): number[];
  setDevices(gatewayId: string, tenantId: string, deviceIds: number[]): void;
  /**
   * One device of the gateway connected (`reachable`) or went away: it joins or leaves the device
   * list. A connected gateway's changed list is published with its (unchanged) CONNECTED status, so
   * watchers re-read Gateway.Get.
   */
  setDeviceReachable(gatewayId: string, tenantId: string, deviceId: number, reachable: boolean): void;
  /** Shutdown: ends every subscriber stream and channel with ShuttingDown (UNAVAILABLE: retry elsewhere). */
  close(): void;
  /** Forgets these gateways and their devices (no session left: deleted, cut off); a channel still open ends with OK. */
  kick(gatewayIds: Iterable<string>): void;
  /** Throws ResourceExhausted when `tenantId` already holds its most subscribers. */
  subscribe(accept: (event: StatusChangeEvent) => boolean, queueSize: number, sink: StatusSink, tenantId: string): () => void;
}

export function createStatusHub(clock: Clock, options: StatusHubOptions = {}): StatusHub {
  const perTenant = options.subscribersPerTenant ?? DEFAULT_SUBSCRIBERS_PER_TENANT;
  const subscriberCounts = new Map<string, number>();
  const links = new Map<string, Link>();
  let remote = new Map<string, RemoteLink>();
  const localListeners: ((gatewayId: string, tenantId: string, connected: boolean, deviceIds: number[]) => void)[] = [];
  const localConnected = (gatewayId: string) => (links.get(gatewayId)?.channels.size ?? 0) > 0;
  const connected = (gatewayId: string) => localConnected(gatewayId) || remote.has(gatewayId);
  const tellLocal = (gatewayId: string, tenantId: string, isConnected: boolean, deviceIds: number[]) => {
    for (const listener of localListeners) listener(gatewayId, tenantId, isConnected, deviceIds);
  };
  const subscribers = new Map<(event: StatusChangeEvent) => void, StatusSink>();

  const link = (gatewayId: string, tenantId: string) => {
    let l = links.get(gatewayId);
    if (!l) {
      l = { tenantId, channels: new Set(), feeds: new Set(), deviceIds: [] };
      links.set(gatewayId, l);
    }
    return l;
  };

  const publish = (gatewayId: string, tenantId: string, connected: boolean) => {
    const event = { gatewayId, tenantId, connected, timestamp: unixSeconds(clock) };
    for (const deliver of [...subscribers.keys()]) deliver(event);
  };

  return {
    connect(gatewayId, tenantId, kick) {
      const was = connected(gatewayId);
      const l = link(gatewayId, tenantId);
      l.channels.add(kick);
      if (l.channels.size === 1) tellLocal(gatewayId, tenantId, true, l.deviceIds);
      if (!was) publish(gatewayId, tenantId, true);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        l.channels.delete(kick);
        if (l.channels.size > 0) return;
        tellLocal(gatewayId, l.tenantId, false, l.deviceIds);
        if (!connected(gatewayId)) publish(gatewayId, l.tenantId, false);
      };
    },
    attach(gatewayId, tenantId, end) {
      const l = link(gatewayId, tenantId);
      l.feeds.add(end);
      return () => void l.feeds.delete(end);
    },
    isConnected: connected,
    deviceIds: (gatewayId) => (localConnected(gatewayId) || !remote.has(gatewayId) ? (links.get(gatewayId)?.deviceIds ?? []) : remote.get(gatewayId)!.deviceIds),
    setDevices(gatewayId, tenantId, deviceIds) {
      const l = link(gatewayId, tenantId);
      l.deviceIds = [...deviceIds];
      if (l.channels.size > 0) tellLocal(gatewayId, tenantId, true, l.deviceIds);
    },
    setDeviceReachable(gatewayId, tenantId, deviceId, reachable) {
      const l = link(gatewayId, tenantId);
      const at = sortedIndex(l.deviceIds, deviceId);
      if ((l.deviceIds[at] === deviceId) === reachable) return;
      l.deviceIds = reachable ? [...l.deviceIds.slice(0, at), deviceId, ...l.deviceIds.slice(at)] : l.deviceIds.filter((id) => id !== deviceId);
      if (l.channels.size === 0) return;
      tellLocal(gatewayId, tenantId, true, l.deviceIds);
      publish(gatewayId, tenantId, true);
    },
    setRemote(next) {
      const before = remote;
      remote = next;
      for (const gatewayId of new Set([...before.keys(), ...next.keys()])) {
        if (localConnected(gatewayId)) continue;
        const was = before.get(gatewayId);
        const is = next.get(gatewayId);
        // Held elsewhere all along: a changed device list is published like a local one.
        if (!was !== !is || (was && is && !sameIds(was.deviceIds, is.deviceIds))) publish(gatewayId, (is ?? was)!.tenantId, !!is);
      }
    },
    onLocalChange(listener) {
      localListeners.push(listener);
    },
    kick(gatewayIds) {
      for (const id of gatewayIds) {
        const l = links.get(id);
        if (!l) continue;
        for (const end of [...l.channels, ...l.feeds]) end();
        links.delete(id);
      }
    },
    subscribe(accept, queueSize, sink, tenantId) {
      const held = subscriberCounts.get(tenantId) ?? 0;
      if (held >= perTenant) {
        throw new ResourceExhausted(`tenant ${tenantId} already has ${held} status subscribers open, the most allowed; close one before subscribing again`);
      }
      subscriberCounts.set(tenantId, held + 1);
      const limit = Math.min(queueSize > 0 ? queueSize : DEFAULT_STATUS_QUEUE, MAX_STATUS_QUEUE);
      const queue: StatusChangeEvent[] = [];
      let blocked = false;
      let counted = true;
      const unsubscribe = () => {
        subscribers.delete(deliver);
        if (!counted) return;
        counted = false;
        const left = (subscriberCounts.get(tenantId) ?? 1) - 1;
        if (left > 0) subscriberCounts.set(tenantId, left);
        else subscriberCounts.delete(tenantId);
      };
      const pump = () => {
        while (queue.length > 0 && !blocked) {
          if (!sink.write(queue.shift()!)) {
            blocked = true;
            sink.onDrain(() => {
              blocked = false;
              pump();
            });
          }
        }
      };
      function deliver(event: StatusChangeEvent) {
        if (!accept(event)) return;
        queue.push(event);
        if (queue.length > limit) {
          unsubscribe();
          sink.end(new ResourceExhausted(`status subscriber fell more than ${limit} changes behind; subscribe again and re-read Gateway.Get`));
          return;
        }
        pump();
      }
      subscribers.set(deliver, sink);
      return unsubscribe;
    },
    close() {
      const sinks = [...subscribers.values()];
      subscribers.clear();
      subscriberCounts.clear();
      const reason = new ShuttingDown('the gateway is shutting down: connect again (to another instance) and re-read Gateway.Get');
      for (const sink of sinks) sink.end(reason);
      for (const l of [...links.values()]) for (const end of [...l.channels, ...l.feeds]) end(reason);
      links.clear();
    },
  };
}

/** Where `id` is, or would go, in the sorted list. */
function sortedIndex(ids: number[], id: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const sameIds = (a: number[], b: number[]) => a.length === b.length && a.every((id, i) => id === b[i]);

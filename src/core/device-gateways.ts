/**
 * The device gateway side of the master (gsdk.master.Master): a gateway proves itself with its own
 * certificate (same checks as Login), gets a session bound to its connection, reports its devices,
 * and is CONNECTED while its command channel is open. Its log and device-status channels live as
 * long as its session's gateway does: realtime events are counted (not routed yet), device status
 * changes keep its device list current. A gateway that loses its standing (certificate blacklisted,
 * expired or its CA removed from ca.crt; registration deleted) loses its session, and every channel
 * of that session ends with the reason's status as soon as the change is heard.
 */
import { Logger } from 'pino';
import { FailedPrecondition, GatewayError, GatewayNotFound, InvalidArgument, PermissionDenied, ResourceExhausted } from '../errors';
import { Auth } from './auth';
import { Directory } from './directory';
import { Peer } from './peer';
import { Session, Sessions } from './sessions';
import { EndChannel, StatusHub } from './status-hub';

export const MAX_DEVICES = 10_000;

export interface DeviceGateways {
  subscribe(peer: Peer | undefined, gatewayCert: unknown): Session;
  updateDeviceList(peer: Peer | undefined, sessionId: number, deviceIds: unknown): void;
  /** Marks the session's gateway CONNECTED until the returned release is called; `kick` ends the channel. */
  openChannel(peer: Peer | undefined, kick: EndChannel): { session: Session; release: () => void };
  /** A log or device-status channel of the session's gateway; `end` ends it with the gateway. */
  openFeed(peer: Peer | undefined, end: EndChannel): { session: Session; release: () => void };
  /** One of the gateway's devices connected (`reachable`) or went away. */
  deviceStatus(session: Session, deviceId: unknown, reachable: boolean): void;
  /** Counts a realtime event from a gateway. */
  recordEvent(): void;
  /** Realtime events received since start. */
  eventsReceived(): number;
  /**
   * After a change (blacklist, gateway or tenant deleted, trust reloaded): every session whose
   * certificate or registration is gone is dropped and its channels end with the reason.
   */
  recheckAll(): void;
}

export function createDeviceGateways(auth: Auth, directory: Directory, sessions: Sessions, hub: StatusHub, log?: Logger): DeviceGateways {
  let events = 0;
  /** The open channels of each session, so a session cut off ends exactly its own. */
  const channels = new Map<Session, Set<EndChannel>>();

  function hold(session: Session, end: EndChannel, release: () => void): () => void {
    let held = channels.get(session);
    if (!held) channels.set(session, (held = new Set()));
    held.add(end);
    return () => {
      release();
      held.delete(end);
      if (held.size === 0 && channels.get(session) === held) channels.delete(session);
    };
  }

  /** Why the session may no longer act: its certificate out of standing, or its gateway no longer registered to it. */
  function standing(session: Session): GatewayError | undefined {
    try {
      auth.checkStanding(session.peer);
    } catch (err) {
      if (err instanceof GatewayError) return err;
      throw err;
    }
    if (directory.gatewayOwner(session.gatewayId) !== session.tenantId) {
      return new PermissionDenied(`gateway ${session.gatewayId} is no longer registered to tenant ${session.tenantId}`);
    }
    return undefined;
  }

  /** Drops the session and ends each of its channels with the reason (one warning with its stable code). */
  function cutOff(session: Session, reason: GatewayError): void {
    sessions.drop((s) => s === session);
    const ends = [...(channels.get(session) ?? [])];
    channels.delete(session);
    log?.warn(
      { code: reason.code, gateway: session.gatewayId, tenant: session.tenantId, serial: session.peer.serial.toString(), channels: ends.length, reason: reason.message },
      'device gateway cut off: its session and channels are ended',
    );
    for (const end of ends) end(reason);
  }

  /** The gateway must still be registered to the tenant its certificate names, and the certificate still good. */
  function recheck(session: Session): void {
    auth.checkStanding(session.peer);
    if (directory.gatewayOwner(session.gatewayId) !== session.tenantId) {
      cutOff(session, new PermissionDenied(`gateway ${session.gatewayId} is no longer registered to tenant ${session.tenantId}`));
      throw new GatewayNotFound(`gateway ${session.gatewayId} is not registered to tenant ${session.tenantId}`);
    }
  }

  function sessionOf(peer: Peer | undefined): Session {
    const session = sessions.forPeer(peer);
    if (!session) throw new FailedPrecondition('no session on this connection: call Master.Subscribe with the gateway certificate first');
    recheck(session);
    return session;
  }

  return {
    subscribe(peer, gatewayCert) {
      const identity = auth.checkClientCertificate(peer, gatewayCert, 'gatewayCert');
      if (identity.kind !== 'gateway') throw new PermissionDenied('gatewayCert is not a device gateway certificate');
      if (directory.gatewayOwner(identity.gatewayId) !== identity.tenantId) {
        throw new GatewayNotFound(`gateway ${identity.gatewayId} is not registered to tenant ${identity.tenantId}`);
      }
      return sessions.open(peer!, identity.tenantId, identity.gatewayId);
    },

    updateDeviceList(peer, sessionId, deviceIds) {
      const session = sessions.get(sessionId, peer);
      recheck(session);
      if (!Array.isArray(deviceIds) || deviceIds.length > MAX_DEVICES) {
        throw new InvalidArgument(`deviceIDs must be a list of at most ${MAX_DEVICES} device IDs`);
      }
      hub.setDevices(session.gatewayId, session.tenantId, [...new Set(deviceIds as number[])].sort((a, b) => a - b));
    },

    openChannel(peer, kick) {
      const session = sessionOf(peer);
      return { session, release: hold(session, kick, hub.connect(session.gatewayId, session.tenantId, kick)) };
    },

    openFeed(peer, end) {
      const session = sessionOf(peer);
      return { session, release: hold(session, end, hub.attach(session.gatewayId, session.tenantId, end)) };
    },

    deviceStatus(session, deviceId, reachable) {
      if (!Number.isInteger(deviceId) || (deviceId as number) < 1 || (deviceId as number) > 0xffff_ffff) {
        throw new InvalidArgument('a device status must name its device (deviceID 1 to 4294967295)');
      }
      const known = hub.deviceIds(session.gatewayId);
      if (reachable && known.length >= MAX_DEVICES && !known.includes(deviceId as number)) {
        throw new ResourceExhausted(`gateway ${session.gatewayId} already reaches ${MAX_DEVICES} devices, the most recorded`);
      }
      hub.setDeviceReachable(session.gatewayId, session.tenantId, deviceId as number, reachable);
    },

    recordEvent() {
      events += 1;
    },

    eventsReceived: () => events,

    recheckAll() {
      const cut = new Set<string>();
      for (const session of sessions.list()) {
        const reason = standing(session);
        if (!reason) continue;
        cutOff(session, reason);
        cut.add(session.gatewayId);
      }
      // A gateway with no session left is forgotten (its devices too): a deleted one must come back clean.
      for (const session of sessions.list()) cut.delete(session.gatewayId);
      hub.kick(cut);
    },
  };
}

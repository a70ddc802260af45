/**
 * The device gateway side of the master (gsdk.master.Master): a gateway proves itself with its own
 * certificate (same checks as Login), gets a session bound to its connection, reports its devices,
 * and is CONNECTED while its command channel is open. Its log and device-status channels live as
 * long as its session's gateway does: realtime events are counted (not routed yet), device status
 * changes keep its device list current.
 */
import { FailedPrecondition, GatewayNotFound, InvalidArgument, PermissionDenied, ResourceExhausted } from '../errors';
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
}

export function createDeviceGateways(auth: Auth, directory: Directory, sessions: Sessions, hub: StatusHub): DeviceGateways {
  let events = 0;

  /** The gateway must still be registered to the tenant its certificate names, and the certificate still good. */
  function recheck(session: Session): void {
    auth.checkStanding(session.peer);
    if (directory.gatewayOwner(session.gatewayId) !== session.tenantId) {
      sessions.drop((s) => s === session);
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
      return { session, release: hub.connect(session.gatewayId, session.tenantId, kick) };
    },

    openFeed(peer, end) {
      const session = sessionOf(peer);
      return { session, release: hub.attach(session.gatewayId, session.tenantId, end) };
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
  };
}

/**
 * The device gateway side of the master (gsdk.master.Master): a gateway proves itself with its own
 * certificate (same checks as Login), gets a session bound to its connection, reports its devices,
 * and is CONNECTED while its command channel is open.
 */
import { FailedPrecondition, GatewayNotFound, InvalidArgument, PermissionDenied } from '../errors';
import { Auth } from './auth';
import { Directory } from './directory';
import { Peer } from './peer';
import { Session, Sessions } from './sessions';
import { StatusHub } from './status-hub';

export const MAX_DEVICES = 10_000;

export interface DeviceGateways {
  subscribe(peer: Peer | undefined, gatewayCert: unknown): Session;
  updateDeviceList(peer: Peer | undefined, sessionId: number, deviceIds: unknown): void;
  /** Marks the session's gateway CONNECTED until the returned release is called; `kick` ends the channel. */
  openChannel(peer: Peer | undefined, kick: () => void): { session: Session; release: () => void };
}

export function createDeviceGateways(auth: Auth, directory: Directory, sessions: Sessions, hub: StatusHub): DeviceGateways {
  /** The gateway must still be registered to the tenant its certificate names, and the certificate still good. */
  function recheck(session: Session): void {
    auth.checkStanding(session.peer);
    if (directory.gatewayOwner(session.gatewayId) !== session.tenantId) {
      sessions.drop((s) => s === session);
      throw new GatewayNotFound(`gateway ${session.gatewayId} is not registered to tenant ${session.tenantId}`);
    }
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
      const session = sessions.forPeer(peer);
      if (!session) throw new FailedPrecondition('no session on this connection: call Master.Subscribe with the gateway certificate first');
      recheck(session);
      return { session, release: hub.connect(session.gatewayId, session.tenantId, kick) };
    },
  };
}

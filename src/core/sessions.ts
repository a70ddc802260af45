/**
 * Device gateway sessions: a gateway that passed Master.Subscribe on a connection gets a session ID
 * usable on that connection only. Sessions end with their connection.
 */
import { randomInt } from 'node:crypto';
import { SessionNotFound } from '../errors';
import { Peer } from './peer';

export interface Session {
  id: number;
  gatewayId: string;
  tenantId: string;
  peer: Peer;
}

export interface Sessions {
  open(peer: Peer, tenantId: string, gatewayId: string): Session;
  /** The session, if it belongs to this connection; otherwise SessionNotFound (never says whose it is). */
  get(id: number, peer: Peer | undefined): Session;
  forPeer(peer: Peer | undefined): Session | undefined;
  closePeer(peer: Peer): void;
  /** Drops the sessions of these gateways (deleted, or their certificate blacklisted). */
  drop(match: (session: Session) => boolean): void;
  /** Open sessions: device gateways connected to this process (for /metrics). */
  count(): number;
  /** Every open session (a copy). */
  list(): Session[];
}

export function createSessions(): Sessions {
  const byId = new Map<number, Session>();
  const byPeer = new Map<Peer, Session>();

  const remove = (s: Session) => {
    byId.delete(s.id);
    if (byPeer.get(s.peer) === s) byPeer.delete(s.peer);
  };

  return {
    open(peer, tenantId, gatewayId) {
      const existing = byPeer.get(peer);
      if (existing && existing.gatewayId === gatewayId) return existing;
      if (existing) remove(existing);
      let id: number;
      do id = randomInt(1, 2 ** 32 - 1);
      while (byId.has(id));
      const session = { id, gatewayId, tenantId, peer };
      byId.set(id, session);
      byPeer.set(peer, session);
      return session;
    },
    get(id, peer) {
      const session = byId.get(id);
      if (!session || session.peer !== peer) throw new SessionNotFound(`session ${id} is not open on this connection (call Subscribe first)`);
      return session;
    },
    forPeer: (peer) => (peer ? byPeer.get(peer) : undefined),
    closePeer(peer) {
      const s = byPeer.get(peer);
      if (s) remove(s);
    },
    drop(match) {
      for (const s of [...byId.values()]) if (match(s)) remove(s);
    },
    count: () => byId.size,
    list: () => [...byId.values()],
  };
}

/**
 * Who made an audited change or login, as the door that took it knows them: the client certificate
 * of a gRPC connection, the OS user of a CLI process.
 */
import { X509Certificate } from 'node:crypto';
import { GatewayError } from '../errors';
import { Peer } from './peer';

export interface Actor {
  /** The door, recorded as the audit event's dialect. */
  door: 'grpc' | 'cli';
  /** `cert:<serial> <subject>` or `os:<user>`; never a secret. */
  name: string;
}

/** Subjects are ours (CA-issued) but a tenant names part of them; a row stays small. */
const MAX_ACTOR_LENGTH = 256;

/** Per certificate (every connection presenting it shares `cert`), so the hot Login path reads it once. */
const names = new WeakMap<object, string>();

/** The actor of a gRPC call: its connection's client certificate (serial in decimal, as `certs list` shows it). */
export function peerActor(peer: Peer | undefined): Actor {
  if (!peer) return { door: 'grpc', name: 'cert:none' };
  let name = names.get(peer.cert);
  if (name === undefined) {
    let subject: string;
    try {
      subject = new X509Certificate(peer.cert.raw).subject.split('\n').join(', ');
    } catch {
      subject = '?';
    }
    name = `cert:${peer.serial} ${subject}`.slice(0, MAX_ACTOR_LENGTH);
    names.set(peer.cert, name);
  }
  return { door: 'grpc', name };
}

/** The stable reason a refusal is recorded with: the GatewayError code, never its message. */
export const reasonOf = (err: unknown): string => (err instanceof GatewayError ? err.code : 'ERR_INTERNAL');

/**
 * The audit of the gRPC door's Login, LoginAdmin and Logout. Login is the hot path (benchmarked in
 * bench/grpc.js), so it never waits for the store: events are kept in memory and written in one
 * batch every FLUSH_MS, and on close. A crash loses at most the last batch's events (FLUSH_MS); a
 * store that refuses a batch loses it, with an error line saying how many.
 *
 * Bounds: each client certificate has EVENTS_PER_MINUTE events recorded a minute (in a burst of as
 * many); past that its events are counted, and each batch writes one `audit_overflow` row per
 * certificate saying how many were left out. At most MAX_PENDING events wait in memory.
 */
import { Logger } from 'pino';
import { AuditEvent, AuditKind, AuditStore } from '../store/store';
import { Actor, peerActor, reasonOf } from './actor';
import { Auth } from './auth';
import { Clock } from './clock';
import { Peer } from './peer';
import { createTokenBuckets } from './token-buckets';

export const FLUSH_MS = 250;
export const EVENTS_PER_MINUTE = 600;
export const MAX_PENDING = 10_000;

export interface LoginAudit {
  record(kind: AuditKind, peer: Peer | undefined, tenantId: string | null, err?: unknown): void;
  /** Writes what is pending; resolves when written (or refused). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is pending. */
  close(): Promise<void>;
}

export function createLoginAudit(store: AuditStore, clock: Clock, log: Logger): LoginAudit {
  const budget = createTokenBuckets({ capacity: EVENTS_PER_MINUTE, periodMs: 60_000, clock });
  let pending: AuditEvent[] = [];
  /** Events left out per actor since the last batch. */
  let over = new Map<string, { actor: Actor; tenantId: string | null; count: number }>();
  let writing: Promise<void> = Promise.resolve();

  const overflow = (actor: Actor, tenantId: string | null) => {
    const seen = over.get(actor.name);
    if (seen) seen.count++;
    else if (over.size < MAX_PENDING) over.set(actor.name, { actor, tenantId, count: 1 });
  };

  function flush(): Promise<void> {
    if (pending.length === 0 && over.size === 0) return writing;
    const batch = pending;
    const at = clock();
    for (const { actor, tenantId, count } of over.values()) {
      batch.push({ at, event: 'audit_overflow', outcome: 'failure', dialect: actor.door, username: null, tenantId, address: null, detail: `${count} login events over the rate left out`, actor: actor.name });
    }
    pending = [];
    over = new Map();
    // One write at a time, in order.
    writing = writing.then(() =>
      store.recordAudits(batch).catch((err: unknown) => log.error({ err, events: batch.length }, 'could not record a batch of gRPC login audit events')),
    );
    return writing;
  }

  const timer = setInterval(() => void flush(), FLUSH_MS);
  timer.unref();

  return {
    record(kind, peer, tenantId, err) {
      const actor = peerActor(peer);
      if (budget.take(actor.name) > 0 || pending.length >= MAX_PENDING) {
        overflow(actor, tenantId);
        return;
      }
      pending.push({
        at: clock(),
        event: kind,
        outcome: err === undefined ? 'success' : 'failure',
        dialect: actor.door,
        username: null,
        tenantId,
        address: null,
        detail: err === undefined ? null : reasonOf(err),
        actor: actor.name,
      });
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

/** A tenant ID as a client sent it: only a string, and short. */
const claimed = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value.slice(0, 128) : null);

const tenantOf = (peer: Peer | undefined): string | null => (peer && 'tenantId' in peer.identity ? peer.identity.tenantId : null);

/** `auth` with its Login, LoginAdmin and Logout recorded (success, or refusal with its code). */
export function auditLogins(auth: Auth, audit: LoginAudit): Auth {
  function recorded<T>(kind: AuditKind, peer: Peer | undefined, tenantId: (result?: T) => string | null, run: () => T | Promise<T>): T | Promise<T> {
    let result: T | Promise<T>;
    try {
      result = run();
    } catch (err) {
      audit.record(kind, peer, tenantId(), err);
      throw err;
    }
    if (result instanceof Promise) {
      return result.then(
        (done) => {
          audit.record(kind, peer, tenantId(done));
          return done;
        },
        (err: unknown) => {
          audit.record(kind, peer, tenantId(), err);
          throw err;
        },
      );
    }
    audit.record(kind, peer, tenantId(result));
    return result;
  }

  return {
    ...auth,
    login: (peer, tenantCert) => recorded('login', peer, () => tenantOf(peer), () => auth.login(peer, tenantCert)),
    loginAdmin: (peer, cert, tenantId) => recorded('login_admin', peer, () => claimed(tenantId) ?? tenantOf(peer), () => auth.loginAdmin(peer, cert, tenantId)),
    logout: (peer, token) => recorded('logout', peer, (verified) => verified?.tenantId ?? tenantOf(peer), () => auth.logout(peer, token)) as ReturnType<Auth['logout']>,
  };
}

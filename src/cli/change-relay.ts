/**
 * The cluster primary's half of "in force on every worker before the call returns". A worker that
 * committed a change other workers cache (a logout, a blacklisting, a deleted tenant) announces it;
 * the primary hands it to every other worker and answers the announcer once each has applied it.
 * Fail closed: the change is committed, so a worker that cannot confirm within the timeout (hung,
 * or its reload failed) is killed rather than left serving the old answer; its replacement starts
 * from the store. A worker still starting is not waited for: it gets the change before it listens.
 */
import { Logger } from 'pino';
import { StoreTopic } from '../store/store';

/** Worker → primary. */
export type WorkerMessage =
  | { mgw: 'change'; id: number; topics: StoreTopic[] }
  | { mgw: 'applied'; id: number; ok: boolean }
  | { mgw: 'ready' };

/** Primary → worker. */
export type PrimaryMessage = { mgw: 'apply'; id: number; topics: StoreTopic[] } | { mgw: 'done'; id: number } | { mgw: 'go'; topics: StoreTopic[] };

export interface RelayWorker {
  id: number;
  pid?: number;
  send(message: PrimaryMessage): void;
  kill(): void;
}

export interface ChangeRelay {
  forked(worker: RelayWorker): void;
  message(workerId: number, message: unknown): void;
  /** The worker's process is gone: it serves nothing, so nothing waits for it. */
  exited(workerId: number): void;
}

/** Long enough for a loaded event loop, short enough that a Logout never hangs on a wedged worker. */
export const CONFIRM_TIMEOUT_MS = 2000;

interface Member {
  worker: RelayWorker;
  ready: boolean;
  /** Changes announced while it was starting, applied before it listens. */
  missed: Set<StoreTopic>;
}

interface Relayed {
  origin: number;
  originId: number;
  waiting: Set<number>;
  timer?: NodeJS.Timeout;
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  const t = (m as { mgw?: unknown } | null)?.mgw;
  return t === 'change' || t === 'applied' || t === 'ready';
}

export function createChangeRelay(log: Logger, timeoutMs = CONFIRM_TIMEOUT_MS): ChangeRelay {
  const members = new Map<number, Member>();
  const relayed = new Map<number, Relayed>();
  let next = 0;

  const send = (member: Member, message: PrimaryMessage) => {
    try {
      member.worker.send(message);
    } catch (err) {
      // Its channel is gone: it cannot be told, so it must not serve.
      log.error({ err, pid: member.worker.pid }, 'worker unreachable; stopping it');
      member.worker.kill();
    }
  };

  const finish = (relayId: number, r: Relayed) => {
    clearTimeout(r.timer);
    relayed.delete(relayId);
    const origin = members.get(r.origin);
    if (origin) send(origin, { mgw: 'done', id: r.originId });
  };

  const answered = (relayId: number, workerId: number) => {
    const r = relayed.get(relayId);
    if (r && r.waiting.delete(workerId) && r.waiting.size === 0) finish(relayId, r);
  };

  const stop = (workerId: number, why: string) => {
    const member = members.get(workerId);
    if (!member) return;
    log.error({ pid: member.worker.pid }, `worker ${why}; stopping it so it serves nothing stale`);
    member.worker.kill();
  };

  function relay(originId: number, from: number, topics: StoreTopic[]): void {
    const relayId = ++next;
    const r: Relayed = { origin: from, originId, waiting: new Set() };
    relayed.set(relayId, r);
    for (const [id, member] of members) {
      if (id === from) continue;
      if (!member.ready) topics.forEach((t) => member.missed.add(t));
      else r.waiting.add(id);
    }
    if (r.waiting.size === 0) return finish(relayId, r);
    r.timer = setTimeout(() => [...r.waiting].forEach((id) => stop(id, `did not confirm a change within ${timeoutMs} ms`)), timeoutMs);
    r.timer.unref();
    for (const id of r.waiting) send(members.get(id)!, { mgw: 'apply', id: relayId, topics });
  }

  return {
    forked(worker) {
      members.set(worker.id, { worker, ready: false, missed: new Set() });
    },

    message(workerId, message) {
      const member = members.get(workerId);
      if (!member || !isWorkerMessage(message)) return;
      if (message.mgw === 'ready') {
        member.ready = true;
        send(member, { mgw: 'go', topics: [...member.missed] });
        member.missed.clear();
      } else if (message.mgw === 'change') relay(message.id, workerId, message.topics);
      else if (message.ok) answered(message.id, workerId);
      else stop(workerId, 'could not apply a change');
    },

    exited(workerId) {
      members.delete(workerId);
      for (const relayId of [...relayed.keys()]) answered(relayId, workerId);
    },
  };
}

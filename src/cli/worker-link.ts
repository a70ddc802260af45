/**
 * A cluster worker's half of the change relay (see change-relay.ts): announces this worker's
 * changes to the primary and waits for its answer; applies the other workers' changes and confirms.
 */
import { Siblings } from '../store/relay-changes';
import { StoreTopic } from '../store/store';
import { PrimaryMessage, WorkerMessage } from './change-relay';

/** The IPC channel to the primary: `process` in a worker. */
export interface Channel {
  send?(message: WorkerMessage, callback: (err: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

const isPrimaryMessage = (m: unknown): m is PrimaryMessage => {
  const t = (m as { mgw?: unknown } | null)?.mgw;
  return t === 'apply' || t === 'done' || t === 'go';
};

export function linkToPrimary(channel: Channel = process as Channel): Siblings {
  let next = 0;
  const waiting = new Map<number, () => void>();
  let apply: ((topic: StoreTopic) => Promise<void>) | undefined;
  let go: ((topics: StoreTopic[]) => void) | undefined;

  const send = (message: WorkerMessage, failed: (err: Error) => void = () => undefined) => {
    if (!channel.send) return failed(new Error('not a cluster worker: no channel to the primary'));
    try {
      channel.send(message, (err) => err && failed(err));
    } catch (err) {
      failed(err as Error);
    }
  };

  // Every topic at once: their synchronous parts (epochs moved, caches dropped) happen before any reload is awaited.
  const applyAll = (topics: StoreTopic[]) => Promise.all(topics.map((t) => apply!(t)));

  channel.on('message', (message) => {
    if (!isPrimaryMessage(message)) return;
    if (message.mgw === 'done') {
      waiting.get(message.id)?.();
      waiting.delete(message.id);
    } else if (message.mgw === 'go') go?.(message.topics);
    else {
      const { id, topics } = message;
      // Nothing to apply with yet cannot be confirmed; the primary only relays to workers that joined.
      const applied = apply ? applyAll(topics).then(() => true, () => false) : Promise.resolve(false);
      void applied.then((ok) => send({ mgw: 'applied', id, ok }));
    }
  });

  return {
    announce(topics) {
      const id = ++next;
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, resolve);
        send({ mgw: 'change', id, topics }, (err) => {
          waiting.delete(id);
          reject(new Error(`cannot tell the other workers of a change: ${err.message}`, { cause: err }));
        });
      });
    },

    join(applyTopic) {
      apply = applyTopic;
      return new Promise<void>((resolve, reject) => {
        go = (topics) => {
          go = undefined;
          applyAll(topics).then(() => resolve(), reject);
        };
        send({ mgw: 'ready' }, reject);
      });
    },
  };
}

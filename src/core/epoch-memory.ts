/**
 * Answers read from the store, remembered (bounded: an LRU) only while an epoch of the directory
 * stays where it was when they were read. When the epoch moves, everything remembered is dropped at
 * the next use: a stale answer is never given, and none lingers in memory (a user record holds its
 * password hash).
 */
import { createLru } from './lru';

export interface EpochMemory<K, V> {
  /** The epoch now: read it before asking the store, and give it to `set` with the answer. */
  epoch(): number;
  get(key: K): V | undefined;
  /** Remembers an answer read at `epoch`; not if the epoch has moved since (it may predate a change). */
  set(key: K, value: V, epoch: number): void;
  delete(key: K): void;
  readonly size: number;
}

export function createEpochMemory<K, V>(capacity: number, readEpoch: () => number): EpochMemory<K, V> {
  const lru = createLru<K, V>(capacity);
  let seen = readEpoch();
  const epoch = () => {
    const now = readEpoch();
    if (now !== seen) {
      lru.clear();
      seen = now;
    }
    return now;
  };
  return {
    epoch,
    get(key) {
      epoch();
      return lru.get(key);
    },
    set(key, value, at) {
      if (epoch() === at) lru.set(key, value);
    },
    delete: (key) => lru.delete(key),
    get size() {
      return lru.size;
    },
  };
}

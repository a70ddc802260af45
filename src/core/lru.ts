/**
 * A map of at most `capacity` entries that forgets the least recently used one to make room: what
 * the per-token and per-user memories of the core are built on, so their memory stays flat however
 * many users and tokens there are. A Map iterates in insertion order, so its first key is the one
 * to forget. A hit moves its entry to the end only when it is in the older half (a Map delete and
 * set cost ~20 times a lookup): an entry used is still kept for at least capacity / 2 insertions.
 */
export interface Lru<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): void;
  clear(): void;
  readonly size: number;
}

interface Slot<V> {
  value: V;
  /** `inserted` when the entry was last put at the end. */
  at: number;
}

export function createLru<K, V>(capacity: number): Lru<K, V> {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer (got ${capacity})`);
  const entries = new Map<K, Slot<V>>();
  const half = Math.floor(capacity / 2);
  let inserted = 0;
  const append = (key: K, slot: Slot<V>) => {
    slot.at = ++inserted;
    entries.set(key, slot);
  };
  return {
    get(key) {
      const slot = entries.get(key);
      if (slot === undefined) return undefined;
      if (inserted - slot.at >= half) {
        entries.delete(key);
        append(key, slot);
      }
      return slot.value;
    },
    set(key, value) {
      entries.delete(key);
      if (entries.size >= capacity) entries.delete(entries.keys().next().value as K);
      append(key, { value, at: 0 });
    },
    delete: (key) => void entries.delete(key),
    clear: () => entries.clear(),
    get size() {
      return entries.size;
    },
  };
}

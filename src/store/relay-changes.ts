/**
 * Sibling processes that cache what the store holds (the workers of `serve --workers N`), told of
 * this process's changes before the write that made them returns. So a logout, a revocation, a
 * blacklisting or a deleted tenant is in force on every worker when the call that made it answers,
 * not when a sibling next polls the store (SQLite, ~0.5 s) or hears a NOTIFY (PostgreSQL).
 */
import { Store, StoreTopic } from './store';
import { wrapMethods } from './wrap-methods';

export interface Siblings {
  /** Resolves once every sibling has applied changes of these topics (or was stopped for not doing so). */
  announce(topics: StoreTopic[]): Promise<void>;
  /** Starts taking the siblings' changes (`apply` reloads a topic); resolves once those made while this process started are applied. */
  join(apply: (topic: StoreTopic) => Promise<void>): Promise<void>;
}

/**
 * Not relayed: what no process caches (certificates: read from the store on every use) and device
 * gateway presence (status, not access). Any other topic, including one added later, is: users and
 * their refresh tokens too (the identity core remembers active users and reusable tokens by epoch).
 */
const UNCACHED: ReadonlySet<StoreTopic> = new Set<StoreTopic>(['certificates', 'presence']);

/**
 * The store, with every method that made a relayed change waiting until the siblings applied it.
 * The changes a method made are not told apart from those of a concurrent write: it may wait for
 * those too, a little longer than it must, never shorter.
 */
export function relayChanges(store: Store, siblings: Pick<Siblings, 'announce'>): Store {
  let changes = 0;
  let latest: Promise<void> = Promise.resolve();
  let batch: Set<StoreTopic> | undefined;

  // Backends announce a write to local listeners after it committed, before its promise settles.
  store.onChange((topic, external) => {
    if (external || UNCACHED.has(topic)) return;
    changes++;
    if (batch) {
      batch.add(topic);
      return;
    }
    // Writes that commit in the same tick are told in one message.
    const topics = new Set([topic]);
    batch = topics;
    const told = Promise.resolve().then(() => {
      batch = undefined;
      return siblings.announce([...topics]);
    });
    // `latest` settles only after every earlier announcement too (a sibling may confirm a quick change
    // before a slow reload). One that failed already failed its own writes; it holds no later one back.
    const earlier = latest.catch(() => undefined);
    latest = Promise.all([earlier, told]).then(() => undefined);
  });

  return wrapMethods(store, (_property, method) => (...args) => {
    const before = changes;
    const result = method(...args);
    if (!(result instanceof Promise)) return result;
    return result.then((answer) => (changes === before ? answer : latest.then(() => answer)));
  });
}

/** An embedded store that counts calls per method and can be made to fail like a database that went away. */
import { StoreUnavailable } from '../../src/errors';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store';
import { Store } from '../../src/store/store';

export interface CountingStore {
  store: Store;
  calls: Map<string, number>;
  count(method: keyof Store): number;
  /** While true, every method but onChange and close rejects with StoreUnavailable. */
  down: boolean;
  /** While set, answers are read at once but delivered only when it resolves (a slow database). */
  gate?: Promise<void>;
}

export function countingStore(): CountingStore {
  const inner = openSqliteStore(':memory:', { pollMs: 0 });
  const counting: CountingStore = {
    calls: new Map(),
    count: (method) => counting.calls.get(method) ?? 0,
    down: false,
    store: new Proxy(inner, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function' || property === 'onChange' || property === 'close') return value;
        return (...args: unknown[]) => {
          counting.calls.set(String(property), counting.count(property as keyof Store) + 1);
          if (counting.down) return Promise.reject(new StoreUnavailable('the embedded database is unavailable (test)'));
          const answer = (value as (...a: unknown[]) => unknown).apply(target, args);
          return counting.gate ? counting.gate.then(() => answer) : answer;
        };
      },
    }),
  };
  return counting;
}

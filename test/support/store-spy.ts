/** A jest spy on one method of a store, however many Proxies wrap it (reportUnavailable, relayChanges). */
import { Store } from '../../src/store/store';

/**
 * A backend's store is a plain object of its parts' methods. The Proxies around it hand out a
 * wrapper of the method (src/store/wrap-methods.ts), so jest.spyOn(store, …) would return a wrapper
 * rather than the mock; but they pass property descriptors through, so the method is replaced on the
 * object inside them (and the Proxies wrap the replacement).
 */
export function spyOnStore<K extends keyof Store>(store: Store, method: K): jest.Mock {
  const own = Object.getOwnPropertyDescriptor(store, method);
  if (!own || typeof own.value !== 'function') throw new Error(`the store has no method ${String(method)} of its own`);
  const spy = jest.fn(own.value as (...args: unknown[]) => unknown);
  Object.defineProperty(store, method, { ...own, value: spy });
  spy.mockRestore = () => {
    Object.defineProperty(store, method, own);
  };
  return spy;
}

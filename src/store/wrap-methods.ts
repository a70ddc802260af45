import { Store } from './store';

/**
 * A Proxy over a store that hands out `wrap`'s version of each async method (all but `onChange` and
 * `close`). One wrapper per method, made on first use rather than on every call; made again when the
 * method was replaced on the object inside (as test/support/store-spy.ts does).
 */
export function wrapMethods<S extends Store>(store: S, wrap: (property: PropertyKey, method: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown): S {
  const wrappers = new Map<PropertyKey, { method: unknown; wrapper: unknown }>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'onChange' || property === 'close') return value;
      let known = wrappers.get(property);
      if (known?.method !== value) {
        const method = value as (...args: unknown[]) => unknown;
        known = { method, wrapper: wrap(property, (...args) => method.apply(target, args)) };
        wrappers.set(property, known);
      }
      return known.wrapper;
    },
  });
}

import { GatewayError, StoreUnavailable } from '../../errors';
import { Store } from '../store';

/** SQLite failures that mean "the database cannot serve now", not "the request was wrong". */
const INFRASTRUCTURE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL)/;

function translate(err: unknown): unknown {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && INFRASTRUCTURE.test(code)) return new StoreUnavailable(`the embedded database is unavailable (${code})`, { cause: err });
  if (/database connection is not open/.test(String((err as Error)?.message))) return new StoreUnavailable('the embedded database is closed', { cause: err });
  return err;
}

/** Every async method of the store answers StoreUnavailable for database trouble (UNAVAILABLE / 503 at the doors). */
export function reportUnavailable(store: Store): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'onChange' || property === 'close') return value;
      return (...args: unknown[]) => {
        try {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(translate(err))) : result;
        } catch (err) {
          return Promise.reject(translate(err));
        }
      };
    },
  });
}

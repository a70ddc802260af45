import { GatewayError, StoreUnavailable } from '../../errors';
import { Store } from '../store';
import { wrapMethods } from '../wrap-methods';
import { DatabaseGuard } from './database-guard';

/** SQLite failures that mean "the database cannot serve now", not "the request was wrong". */
const INFRASTRUCTURE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL)/;
/** Of those, the ones that say the disk cannot take writes (full, failing, read-only); lock contention is not one. */
const DISK = /^SQLITE_(IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB)/;

function translate(err: unknown, guard?: DatabaseGuard): unknown {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && INFRASTRUCTURE.test(code)) {
    if (DISK.test(code)) guard?.writeFailed(code);
    return new StoreUnavailable(`the embedded database is unavailable (${code})`, { cause: err });
  }
  if (/database connection is not open/.test(String((err as Error)?.message))) return new StoreUnavailable('the embedded database is closed', { cause: err });
  return err;
}

/**
 * Every async method of the store answers StoreUnavailable for database trouble (UNAVAILABLE / 503
 * at the doors); once the guard found the files gone, every call is refused, and `ping` (the health
 * probe) also fails while writes recently failed for want of disk.
 */
export function reportUnavailable<S extends Store>(store: S, guard?: DatabaseGuard): S {
  return wrapMethods(store, (property, method) => (...args) => {
    try {
      if (property === 'ping') guard?.checkHealth();
      else if (guard?.lost) guard.checkFiles();
      const result = method(...args);
      return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(translate(err, guard))) : result;
    } catch (err) {
      return Promise.reject(translate(err, guard));
    }
  });
}

import pino from 'pino';
import { loadConfig } from '../config';
import { systemClock } from '../core/clock';
import { createDirectory } from '../core/directory';
import { createAudit } from '../core/identity/audit';
import { createLockout, lockoutPolicy } from '../core/identity/lockout';
import { createPasswords } from '../core/identity/passwords';
import { createUsers, Users } from '../core/identity/users';
import { Store } from '../store/store';
import { withStore } from './with-store';

/** Runs `fn` with the user administration of the configured store (same password cost as the server). */
export function withUsers<T>(dataDir: string | undefined, fn: (users: Users, store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, dataDir ? { dataDir } : {});
  return withStore(dataDir, async (store) => {
    const clock = systemClock;
    const passwords = await createPasswords({ memoryKib: config.passwordMemoryKib, timeCost: config.passwordTimeCost, parallelism: 1 });
    const users = createUsers({
      store,
      clock,
      passwords,
      lockout: createLockout(store, clock, lockoutPolicy(config.lockoutThreshold, config.lockoutSeconds)),
      audit: createAudit(store, clock, pino({ level: 'silent' })),
      directory: await createDirectory(store, clock),
    });
    return fn(users, store);
  });
}

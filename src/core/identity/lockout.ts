/**
 * Brute-force limits, counted in the store per account and per client address. Failures grow a
 * delay (a short lock) and, past a threshold, a lockout. A locked key is answered at once with
 * TooManyAttempts and a Retry-After, never by sleeping on the request.
 */
import { TooManyAttempts } from '../../errors';
import { Store } from '../../store/store';
import { Clock } from '../clock';

export interface LockoutPolicy {
  /** Failures per account before the lockout. */
  accountThreshold: number;
  /** Failures per client address before the lockout (higher: many users may share an address). */
  addressThreshold: number;
  /** Lockout length, ms. */
  lockoutMs: number;
  /** Failures older than this are forgotten, ms. */
  windowMs: number;
  /** Failures per account allowed before delays start (per address: half the address threshold). */
  freeFailures: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = {
  accountThreshold: 10,
  addressThreshold: 50,
  lockoutMs: 15 * 60_000,
  windowMs: 15 * 60_000,
  freeFailures: 3,
};

/** One counted login attempt; exactly one of its methods is called once the password was checked. */
export interface Attempt {
  failed(): Promise<{ lockedOut: boolean }>;
  succeeded(): Promise<void>;
}

export interface Lockout {
  /**
   * Counts an attempt for the account and the address before the password is checked, so parallel
   * guesses queue behind the count instead of slipping past it. Throws TooManyAttempts while locked.
   */
  begin(username: string, address: string): Promise<Attempt>;
}

const accountKey = (username: string) => `user:${username.toLowerCase()}`;
const addressKey = (address: string) => `addr:${address}`;

export function createLockout(store: Store, clock: Clock, policy: LockoutPolicy = DEFAULT_LOCKOUT): Lockout {
  /** Doubling delays from 1 s after the free failures, the full lockout at the threshold. */
  const lockFor = (threshold: number, free: number) => (failures: number) => {
    if (failures >= threshold) return policy.lockoutMs;
    if (failures <= free) return 0;
    return Math.min(1000 * 2 ** (failures - free - 1), policy.lockoutMs);
  };
  const accountLock = lockFor(policy.accountThreshold, policy.freeFailures);
  const addressLock = lockFor(policy.addressThreshold, Math.floor(policy.addressThreshold / 2));

  return {
    async begin(username, address) {
      const now = clock();
      const account = accountKey(username);
      const byAddress = addressKey(address);
      const { lockedUntil, counters } = await store.countAttempt([account, byAddress], now, now - policy.windowMs, (failures, key) =>
        key === account ? accountLock(failures) : addressLock(failures),
      );
      if (lockedUntil > now) throw new TooManyAttempts('too many failed attempts; try again later', Math.ceil((lockedUntil - now) / 1000));
      const [a, b] = counters;
      return {
        failed: async () => ({ lockedOut: a.failures === policy.accountThreshold || b.failures === policy.addressThreshold }),
        async succeeded() {
          // The account starts over; the address keeps its other failures but not this attempt.
          await store.clearFailures([account]);
          await store.forgiveFailures([byAddress]);
        },
      };
    },
  };
}

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

export interface Lockout {
  /** Throws TooManyAttempts while any key is locked. */
  check(username: string, address: string): Promise<void>;
  failed(username: string, address: string): Promise<{ lockedOut: boolean }>;
  succeeded(username: string): Promise<void>;
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
    async check(username, address) {
      const now = clock();
      const counters = await store.getFailures([accountKey(username), addressKey(address)]);
      const until = Math.max(0, ...counters.map((c) => c.lockedUntil));
      if (until > now) {
        throw new TooManyAttempts('too many failed attempts; try again later', Math.ceil((until - now) / 1000));
      }
    },
    async failed(username, address) {
      const now = clock();
      const windowStart = now - policy.windowMs;
      const [account] = await store.recordFailures([accountKey(username)], now, windowStart, accountLock);
      const [byAddress] = await store.recordFailures([addressKey(address)], now, windowStart, addressLock);
      return { lockedOut: account.failures === policy.accountThreshold || byAddress.failures === policy.addressThreshold };
    },
    async succeeded(username) {
      await store.clearFailures([accountKey(username)]);
    },
  };
}

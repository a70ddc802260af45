/**
 * Brute-force limits, counted in the store per account and per client address. Failures grow a
 * delay (a short lock) and, past a threshold, a lockout. A locked key is answered at once with
 * TooManyAttempts and a Retry-After, never by sleeping on the request.
 *
 * An account is its user ID (usernames are case-sensitive, so `Ada` and `ada` are two accounts with
 * two counters); a name no user has is counted under that exact name. Every attempt is counted
 * before the password is checked, so parallel guesses cannot slip past the threshold, but only a
 * failure sets a lock: attempts still in flight (the owner's correct ones among them) lock no one.
 */
import { TooManyAttempts } from '../../errors';
import { LoginWrites, Store } from '../../store/store';
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

/**
 * One counted login attempt; exactly one of its methods is called once the password was checked.
 * Until then it counts as a failure (no lock set): an attempt whose success was never written (the
 * store refused the login's write) stays counted until the window forgets it.
 */
export interface Attempt {
  failed(): Promise<{ lockedOut: boolean }>;
  /** `login`: what the login writes with it (its refresh token, its audit row), in the same store write. */
  succeeded(login?: LoginWrites): Promise<void>;
}

/** Who an attempt is for: the user found under the name given, else the name itself. */
export type Account = { userId: string } | { unknownName: string };

export interface Lockout {
  /**
   * Counts an attempt for the account and the address before the password is checked, so parallel
   * guesses queue behind the count instead of slipping past it. Throws TooManyAttempts while locked,
   * and when more attempts are in flight than the threshold allows.
   */
  begin(account: Account, address: string): Promise<Attempt>;
}

export const accountKey = (account: Account) => ('userId' in account ? `user:${account.userId}` : `name:${account.unknownName}`);
const addressKey = (address: string) => `addr:${address}`;

/** How long a burst past the threshold is refused (the attempts in flight settle by then). */
const BURST_GUARD_MS = 1000;

/** The policy the gateway's settings give (GATEWAY_LOCKOUT_THRESHOLD, GATEWAY_LOCKOUT_SECONDS): one rule for the server and the CLI. */
export function lockoutPolicy(threshold: number, lockoutSeconds: number): LockoutPolicy {
  return { ...DEFAULT_LOCKOUT, accountThreshold: threshold, addressThreshold: threshold * 5, lockoutMs: lockoutSeconds * 1000 };
}

export function createLockout(store: Store, clock: Clock, policy: LockoutPolicy = DEFAULT_LOCKOUT): Lockout {
  /** Doubling delays from 1 s after the free failures, the full lockout at the threshold. */
  const lockFor = (threshold: number, free: number) => (failures: number) => {
    if (failures >= threshold) return policy.lockoutMs;
    if (failures <= free) return 0;
    return Math.min(1000 * 2 ** (failures - free - 1), policy.lockoutMs);
  };
  const accountLock = lockFor(policy.accountThreshold, policy.freeFailures);
  const addressLock = lockFor(policy.addressThreshold, Math.floor(policy.addressThreshold / 2));
  const thresholdOf = (key: string) => (key.startsWith('addr:') ? policy.addressThreshold : policy.accountThreshold);

  return {
    async begin(who, address) {
      const now = clock();
      const account = accountKey(who);
      const byAddress = addressKey(address);
      // Counting sets no lock, except a short guard once the count (settled failures and attempts in
      // flight) reaches the threshold: that attempt goes on, the burst behind it waits. So at most
      // threshold guesses are checked at once, and the owner's parallel logins lock no one.
      const { lockedUntil } = await store.countAttempt([account, byAddress], now, now - policy.windowMs, (failures, key) =>
        failures >= thresholdOf(key) ? BURST_GUARD_MS : 0,
      );
      if (lockedUntil > now) throw new TooManyAttempts('too many failed attempts; try again later', Math.ceil((lockedUntil - now) / 1000));
      return {
        async failed() {
          const at = clock();
          const counters = await store.lockFailures([account, byAddress], at, (failures, key) => (key === account ? accountLock(failures) : addressLock(failures)));
          return { lockedOut: counters.some((c) => c.failures >= thresholdOf(c.key) && c.lockedUntil > at) };
        },
        async succeeded(login) {
          // The account starts over; the address keeps its other failures but not this attempt. One write.
          await store.attemptSucceeded([account], [byAddress], login);
        },
      };
    },
  };
}

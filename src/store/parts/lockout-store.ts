/** Failure counters for brute-force lockout, per key (an account, a client address). */
import { AuditEvent } from './audit-store';
import { RefreshTokenRecord } from './refresh-token-store';

export interface FailureCounter {
  key: string;
  failures: number;
  /** Unix milliseconds; 0 when not locked. */
  lockedUntil: number;
  lastFailureAt: number;
}

/**
 * What a password login writes together with its attempt's success (attemptSucceeded): the refresh
 * token it issued (as addRefreshToken) and its audit row (as recordAudit).
 */
export interface LoginWrites {
  token?: RefreshTokenRecord;
  audit?: AuditEvent;
}

/** The lock to set after `failures` failures of `key`, in ms (0 = none). */
export type LockFor = (failures: number, key: string) => number;

export interface LockoutStore {
  /**
   * Adds one failure to each key (atomic per key) and returns the counters after it. Failures older
   * than `windowStart` are forgotten first; `lockFor(failures)` gives the lock to set, in ms (0 = none).
   */
  recordFailures(keys: string[], at: number, windowStart: number, lockFor: LockFor): Promise<FailureCounter[]>;
  /**
   * One login attempt, counted before the password is checked so parallel guesses cannot slip past
   * a lock: if any key is locked at `at`, nothing is counted and the latest lockedUntil is returned;
   * otherwise one failure is counted on every key (as recordFailures) and lockedUntil is 0. Atomic.
   */
  countAttempt(keys: string[], at: number, windowStart: number, lockFor: LockFor): Promise<{ lockedUntil: number; counters: FailureCounter[] }>;
  /**
   * An attempt counted by countAttempt failed: sets each key's lock to what `lockFor` gives for its
   * count now (from `at`), never shortening a lock already set. Keys with no counter (a success
   * cleared it meanwhile) stay without one. Returns the counters there are, in the order asked. Atomic.
   */
  lockFailures(keys: string[], at: number, lockFor: LockFor): Promise<FailureCounter[]>;
  /** Takes back one counted failure of each key (an attempt that succeeded). */
  forgiveFailures(keys: string[]): Promise<void>;
  /**
   * An attempt counted by countAttempt succeeded, in one write: the `clear` keys' counters removed
   * (as clearFailures), one failure taken back from each `forgive` key (as forgiveFailures), and
   * `login`'s token added and its audit row recorded: all or nothing (one transaction, one commit,
   * one round trip). A token whose user is gone throws UserNotFound, and nothing is written.
   */
  attemptSucceeded(clear: string[], forgive: string[], login?: LoginWrites): Promise<void>;
  getFailures(keys: string[]): Promise<FailureCounter[]>;
  clearFailures(keys: string[]): Promise<void>;
}

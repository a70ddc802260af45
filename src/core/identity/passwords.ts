/**
 * Password hashing: argon2id (memory-hard) on hashing threads, never on the event loop.
 * Hashes are PHC strings, so a change of cost is visible in old hashes and they are rehashed at the
 * next successful login.
 */
import { availableParallelism } from 'node:os';
import { hashThreads } from './hash-threads';

export interface PasswordCost {
  /** KiB of memory per hash. */
  memoryKib: number;
  /** Passes over that memory. */
  timeCost: number;
  parallelism: number;
}

/** OWASP's first argon2id recommendation (19 MiB, 2 passes, 1 lane): ~17 ms per hash on one core here. */
export const DEFAULT_PASSWORD_COST: PasswordCost = { memoryKib: 19_456, timeCost: 2, parallelism: 1 };

export const MAX_PASSWORD_LENGTH = 1024;

export interface Passwords {
  hash(password: string): Promise<string>;
  /** Constant work whether or not `stored` is a real hash, so unknown users cost what wrong passwords cost. */
  verify(stored: string | undefined, password: string): Promise<{ ok: boolean; needsRehash: boolean }>;
}

const ARGON2ID = 2;

function costOf(phc: string): PasswordCost | undefined {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(phc);
  return m ? { memoryKib: Number(m[1]), timeCost: Number(m[2]), parallelism: Number(m[3]) } : undefined;
}

/**
 * At most `width` hashes run at once, on threads of their own (hash-threads.ts). One per core: a
 * login is almost all hashing, so fewer would leave cores idle while logins queue (one core of two
 * kept free cost 40 % of the login rate). The event loop then shares the cores with hashing threads;
 * the scheduler favours a thread that slept, so it waits a few milliseconds longer at worst
 * (bench/identity watches its p99). More would only make hashes take turns on the same cores.
 */
export const DEFAULT_HASH_WIDTH = availableParallelism();

export async function createPasswords(cost: PasswordCost = DEFAULT_PASSWORD_COST, width = DEFAULT_HASH_WIDTH): Promise<Passwords> {
  const options = { memoryCost: cost.memoryKib, timeCost: cost.timeCost, parallelism: cost.parallelism, algorithm: ARGON2ID };
  const threads = hashThreads(width);
  const hashPassword = (password: string) => threads.run({ op: 'hash', password, options });
  // Verified against when the user does not exist, so both paths do one argon2id run.
  const decoy = await hashPassword('decoy password that matches nothing');
  return {
    hash: hashPassword,
    async verify(stored, password) {
      // Parsed once: `ok` implies the stored hash was the target, so `current` is its cost.
      const current = stored ? costOf(stored) : undefined;
      const target = stored && current ? stored : decoy;
      const ok = (await threads.run({ op: 'verify', stored: target, password: password.slice(0, MAX_PASSWORD_LENGTH) })) && target === stored;
      const needsRehash = ok && !!current && (current.memoryKib !== cost.memoryKib || current.timeCost !== cost.timeCost || current.parallelism !== cost.parallelism);
      return { ok, needsRehash };
    },
  };
}

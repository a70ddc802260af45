/**
 * Token buckets per key (a tenant, a client address), in memory: `capacity` tokens, refilled at
 * `capacity` per `periodMs` on the injected clock. At most `maxKeys` buckets are kept (the least
 * recently used go first; a bucket dropped is as good as full), so a caller inventing keys cannot
 * grow memory without bound.
 */
import { Clock } from './clock';

export interface TokenBuckets {
  /** Takes a token if there is one: 0; otherwise nothing is taken and the ms until one refills. */
  take(key: string): number;
  /** 0 if a token is there (nothing is taken), else the ms until one refills. */
  wait(key: string): number;
  /** Takes a token whether or not there is one (a bucket never goes below empty). */
  drain(key: string): void;
}

export interface TokenBucketOptions {
  capacity: number;
  periodMs: number;
  clock: Clock;
  maxKeys?: number;
}

export function createTokenBuckets({ capacity, periodMs, clock, maxKeys = 65_536 }: TokenBucketOptions): TokenBuckets {
  const perMs = capacity / periodMs;
  const buckets = new Map<string, { tokens: number; at: number }>();

  const current = (key: string) => {
    const now = clock();
    const bucket = buckets.get(key);
    // A clock set back refills nothing (and takes nothing away).
    const tokens = bucket ? Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.at) * perMs) : capacity;
    return { now, tokens };
  };
  const store = (key: string, tokens: number, at: number) => {
    buckets.delete(key);
    if (tokens >= capacity) return;
    if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
    buckets.set(key, { tokens, at });
  };
  const waitFor = (tokens: number) => (tokens >= 1 ? 0 : Math.ceil((1 - tokens) / perMs));

  return {
    take(key) {
      const { now, tokens } = current(key);
      if (tokens < 1) return waitFor(tokens);
      store(key, tokens - 1, now);
      return 0;
    },
    wait: (key) => waitFor(current(key).tokens),
    drain(key) {
      const { now, tokens } = current(key);
      store(key, Math.max(0, tokens - 1), now);
    },
  };
}

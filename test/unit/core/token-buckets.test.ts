/** Token buckets per key on the injected clock: refill, a clock set back, and the bound on keys. */
import { createTokenBuckets } from '../../../src/core/token-buckets';

let now = 1_800_000_000_000;
const clock = () => now;

it('gives capacity tokens, then says how long until the next; refills at capacity per period', () => {
  const b = createTokenBuckets({ capacity: 3, periodMs: 60_000, clock });
  expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([0, 0, 0]);
  expect(b.take('a')).toBe(20_000);
  expect(b.take('b')).toBe(0);
  now += 10_000;
  expect(b.wait('a')).toBe(10_000);
  now += 10_000;
  expect(b.wait('a')).toBe(0);
  expect(b.take('a')).toBe(0);
  expect(b.take('a')).toBeGreaterThan(0);
});

it('drain takes a token even from an empty bucket without going below empty', () => {
  const b = createTokenBuckets({ capacity: 2, periodMs: 1000, clock });
  for (let i = 0; i < 10; i++) b.drain('a');
  expect(b.wait('a')).toBe(500);
});

it('a clock set back neither refills nor empties a bucket', () => {
  const b = createTokenBuckets({ capacity: 2, periodMs: 60_000, clock });
  b.take('a');
  now -= 3_600_000;
  expect(b.take('a')).toBe(0);
  expect(b.take('a')).toBe(30_000);
});

it('keeps at most maxKeys buckets: the least recently used go (as good as full)', () => {
  const b = createTokenBuckets({ capacity: 1, periodMs: 60_000, clock, maxKeys: 2 });
  b.take('a');
  b.take('b');
  b.take('c'); // a goes
  expect(b.wait('a')).toBe(0);
  expect(b.wait('b')).toBeGreaterThan(0);
  expect(b.wait('c')).toBeGreaterThan(0);
});

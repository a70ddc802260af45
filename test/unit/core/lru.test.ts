/** The bounded memories of the core: an LRU that never holds more than its capacity, and its epoch-scoped form. */
import { createEpochMemory } from '../../../src/core/epoch-memory';
import { createLru } from '../../../src/core/lru';

it('holds at most its capacity, forgetting the least recently used first', () => {
  const lru = createLru<number, string>(100);
  for (let i = 0; i < 100 + 37; i++) lru.set(i, `v${i}`);
  expect(lru.size).toBe(100);
  expect(lru.get(36)).toBeUndefined();
  expect(lru.get(37)).toBe('v37');
  // 37 was the oldest and was just used: the next insert forgets 38 instead.
  lru.set(1000, 'new');
  expect(lru.size).toBe(100);
  expect(lru.get(37)).toBe('v37');
  expect(lru.get(38)).toBeUndefined();
  // Setting a key it holds replaces it without growing.
  lru.set(1000, 'newer');
  expect(lru.size).toBe(100);
  expect(lru.get(1000)).toBe('newer');
});

it('keeps an entry in use however many others come and go', () => {
  const lru = createLru<number, number>(10);
  lru.set(-1, -1);
  for (let i = 0; i < 1000; i++) {
    lru.set(i, i);
    expect(lru.get(-1)).toBe(-1);
    expect(lru.size).toBeLessThanOrEqual(10);
  }
});

it('refuses a capacity that is no positive integer', () => {
  expect(() => createLru(0)).toThrow(RangeError);
  expect(() => createLru(1.5)).toThrow(RangeError);
});

it('answers only while the epoch is the one the answer was read at, and is bounded too', () => {
  let epoch = 0;
  const memory = createEpochMemory<string, number>(10, () => epoch);
  for (let i = 0; i < 25; i++) memory.set(`k${i}`, i, memory.epoch());
  expect(memory.size).toBe(10);
  expect(memory.get('k24')).toBe(24);
  epoch++;
  // Moved: nothing remembered is given, and nothing stays in memory.
  expect(memory.get('k24')).toBeUndefined();
  expect(memory.size).toBe(0);
  // An answer read before a change is not remembered.
  const readAt = memory.epoch();
  epoch++;
  memory.set('late', 1, readAt);
  expect(memory.get('late')).toBeUndefined();
  memory.set('fresh', 2, memory.epoch());
  expect(memory.get('fresh')).toBe(2);
});

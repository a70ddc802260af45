/** Key generation runs one at a time, so it never holds more than one of libuv's threads that argon2 needs. */
import type * as Crypto from 'node:crypto';

import { promisify } from 'node:util';

const pending: (() => void)[] = [];
let running = 0;
let most = 0;

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof Crypto>('node:crypto');
  return {
    ...actual,
    // Held until the test releases it, so how many run at once is plain to see (promisify's form, as keys.ts uses it).
    generateKeyPair: Object.assign(() => undefined, {
      [promisify.custom]: () =>
        new Promise((resolve) => {
          running++;
          most = Math.max(most, running);
          pending.push(() => {
            running--;
            resolve(actual.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }));
          });
        }),
    }),
  };
});

import { generateKeyPairAsync, MAX_WAITING_KEYGENS } from '../../../src/pki/keys';

const settle = () => new Promise((resolve) => setImmediate(resolve));

it('runs one generation at a time and refuses more than MAX_WAITING_KEYGENS waiting', async () => {
  const started = Array.from({ length: MAX_WAITING_KEYGENS + 1 }, () => generateKeyPairAsync('ec'));
  const refused = generateKeyPairAsync('ec');
  await expect(refused).rejects.toMatchObject({ code: 'ERR_RESOURCE_EXHAUSTED' });
  await settle();
  expect(running).toBe(1);
  while (pending.length) {
    pending.shift()!();
    await settle();
    expect(running).toBeLessThanOrEqual(1);
  }
  const keys = await Promise.all(started);
  expect(keys).toHaveLength(MAX_WAITING_KEYGENS + 1);
  expect(keys[0].privateKeyPem).toMatch(/BEGIN PRIVATE KEY/);
  expect(most).toBe(1);
  // The queue is free again.
  const after = generateKeyPairAsync('ec');
  await settle();
  pending.shift()!();
  await expect(after).resolves.toMatchObject({ privateKeyPem: expect.any(String) });
});

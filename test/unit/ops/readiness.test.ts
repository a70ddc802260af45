import { createReadiness } from '../../../src/ops/readiness';

const DAY = 86_400_000;

function setup(ping: () => Promise<void> = () => Promise.resolve()) {
  let now = 10 * DAY;
  const readiness = createReadiness({
    ping,
    clock: () => now,
    certificates: () => [
      { name: 'server', notBefore: 5 * DAY, notAfter: 20 * DAY },
      { name: 'ca', notBefore: 1 * DAY, notAfter: 30 * DAY },
    ],
    intervalMs: 10,
  });
  const seen: boolean[] = [];
  readiness.onChange((ready) => seen.push(ready));
  return { readiness, seen, at: (ms: number) => (now = ms) };
}

it('is not ready until every listener is bound, then ready; a drain ends it for good', () => {
  const { readiness, seen } = setup();
  expect(readiness.reasons()).toEqual(['not every listener is bound']);
  readiness.listening();
  expect(readiness.ready()).toBe(true);
  readiness.draining();
  expect(readiness.reasons()).toEqual(['draining']);
  expect(seen).toEqual([false, true, false]);
  readiness.stop();
});

it('names a certificate outside its validity', () => {
  const { readiness, at } = setup();
  readiness.listening();
  at(21 * DAY);
  expect(readiness.reasons()).toEqual(['server certificate expired']);
  at(2 * DAY);
  expect(readiness.reasons()).toEqual(['server certificate not yet valid']);
  readiness.stop();
});

it('follows the store: not ready while a ping fails, ready again when one answers', async () => {
  let up = true;
  const { readiness, seen } = setup(() => (up ? Promise.resolve() : Promise.reject(new Error('down'))));
  readiness.listening();
  up = false;
  await new Promise((r) => setTimeout(r, 50));
  expect(readiness.reasons()).toEqual(['store does not answer']);
  up = true;
  await new Promise((r) => setTimeout(r, 50));
  expect(readiness.ready()).toBe(true);
  expect(seen).toEqual([false, true, false, true]);
  readiness.stop();
});

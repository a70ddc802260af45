/** Reloads of what the directory holds in memory apply in the order they were asked for. */
import { createDirectory } from '../../../src/core/directory';
import { countingStore } from '../../support/counting-store';

const clock = () => 1_800_000_000_000;

it('never applies an older blacklist read over a newer one', async () => {
  const s = countingStore();
  try {
    const directory = await createDirectory(s.store, clock);
    // A first reload whose answer comes back late (read before the blacklisting)…
    let release: () => void = () => undefined;
    s.gate = new Promise<void>((r) => (release = r));
    const first = directory.refresh('blacklist');
    s.gate = undefined;
    await s.store.addBlacklist([{ serial: 42n, tenantId: 'administrator', gatewayId: null, addedAt: 1 }]);
    // …and a second, asked for after it: its caller must find the serial blacklisted.
    const second = directory.refresh('blacklist').then(() => directory.isBlacklisted(42n));
    release();
    await first;
    expect(await second).toBe(true);
    expect(directory.isBlacklisted(42n)).toBe(true);
  } finally {
    await s.store.close();
  }
});

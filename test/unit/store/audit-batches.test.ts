import { createAuditBatches } from '../../../src/store/audit-batches';
import { AuditEvent } from '../../../src/store/store';

const event = (i: number): AuditEvent => ({ at: i, event: 'refresh', outcome: 'success', dialect: 'datarhei', username: null, tenantId: null, address: null, detail: null });
const events = (from: number, n: number) => Array.from({ length: n }, (_v, i) => event(from + i));

/** A writeBatch that records what it was given and settles when told. */
function fakeWriter() {
  const calls: { events: AuditEvent[]; commit(): void; fail(err: Error): void }[] = [];
  const write = (batch: AuditEvent[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ events: batch, commit: resolve, fail: reject });
    });
  /** Waits until `n` writes were asked for. */
  const asked = async (n: number) => {
    while (calls.length < n) await new Promise((r) => setImmediate(r));
  };
  return { calls, write, asked };
}

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('audit group commit', () => {
  it('writes events recorded in the same turn in one batch, in order, and answers only once it committed', async () => {
    const w = fakeWriter();
    const batches = createAuditBatches(w.write);
    const recorded = events(0, 50).map((e) => batches.add([e]));
    await w.asked(1);
    expect(w.calls).toHaveLength(1);
    expect(w.calls[0].events).toEqual(events(0, 50));
    expect(await settled(Promise.all(recorded))).toBe(false);
    w.calls[0].commit();
    await expect(Promise.all(recorded)).resolves.toHaveLength(50);
  });

  it('caps a batch at its maximum; a larger group of one caller goes alone and whole', async () => {
    const w = fakeWriter();
    const batches = createAuditBatches(w.write, { max: 4 });
    const all = [batches.add([event(0)]), batches.add(events(1, 3)), batches.add([event(4)]), batches.add(events(5, 6)), batches.add([event(11)])];
    for (let n = 1; n <= 4; n++) {
      await w.asked(n);
      w.calls[n - 1].commit();
    }
    await Promise.all(all);
    expect(w.calls.map((c) => c.events.map((e) => e.at))).toEqual([[0, 1, 2, 3], [4], [5, 6, 7, 8, 9, 10], [11]]);
  });

  it('refuses every caller of a failed batch with its error, and goes on with the next batch', async () => {
    const w = fakeWriter();
    const batches = createAuditBatches(w.write);
    const first = [batches.add([event(0)]), batches.add(events(1, 2))];
    await w.asked(1);
    // Recorded while the first batch is being written: the next batch.
    const second = batches.add([event(3)]);
    const boom = new Error('disk full');
    w.calls[0].fail(boom);
    expect(await Promise.allSettled(first)).toEqual([
      { status: 'rejected', reason: boom },
      { status: 'rejected', reason: boom },
    ]);
    await w.asked(2);
    expect(w.calls[1].events).toEqual([event(3)]);
    w.calls[1].commit();
    await expect(second).resolves.toBeUndefined();
  });

  it('writes a refused batch again caller by caller when told to, so only the bad caller is refused', async () => {
    const w = fakeWriter();
    const batches = createAuditBatches(w.write, { alone: (err) => (err as Error).message === 'bad row' });
    const all = Promise.allSettled([batches.add([event(0)]), batches.add(events(1, 2)), batches.add([event(3)])]);
    await w.asked(1);
    w.calls[0].fail(new Error('bad row'));
    for (let n = 2; n <= 4; n++) {
      await w.asked(n);
      if (n === 3) w.calls[n - 1].fail(new Error('bad row'));
      else w.calls[n - 1].commit();
    }
    expect(w.calls.slice(1).map((c) => c.events.map((e) => e.at))).toEqual([[0], [1, 2], [3]]);
    expect((await all).map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('drain resolves once everything recorded so far was written, including what arrived meanwhile', async () => {
    const w = fakeWriter();
    const batches = createAuditBatches(w.write);
    await expect(batches.drain()).resolves.toBeUndefined();
    const first = batches.add([event(0)]);
    const drained = batches.drain();
    await w.asked(1);
    const second = batches.add([event(1)]);
    w.calls[0].commit();
    expect(await settled(drained)).toBe(false);
    await w.asked(2);
    w.calls[1].commit();
    await drained;
    expect(await settled(Promise.all([first, second]))).toBe(true);
  });
});

/** The cluster primary's change relay and a worker's link to it, over fake channels; time is jest's fake clock. */
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { createChangeRelay, PrimaryMessage, WorkerMessage } from '../../../src/cli/change-relay';
import { linkToPrimary } from '../../../src/cli/worker-link';
import { StoreTopic } from '../../../src/store/store';

const silent = pino({ level: 'silent' });

function fakeWorker(id: number) {
  const got: PrimaryMessage[] = [];
  const w = { id, got, killed: false, send: (m: PrimaryMessage) => void got.push(m), kill: () => void (w.killed = true) };
  return w;
}

/** Three workers, A and B ready, C still starting. */
function setup(timeoutMs = 2000) {
  const relay = createChangeRelay(silent, timeoutMs);
  const [a, b, c] = [fakeWorker(1), fakeWorker(2), fakeWorker(3)];
  for (const w of [a, b, c]) relay.forked(w);
  relay.message(1, { mgw: 'ready' });
  relay.message(2, { mgw: 'ready' });
  a.got.length = 0;
  b.got.length = 0;
  return { relay, a, b, c };
}

afterEach(() => jest.useRealTimers());

describe('change relay (primary)', () => {
  it('answers the announcing worker only once every other ready worker applied the change', () => {
    const { relay, a, b } = setup();
    relay.message(1, { mgw: 'change', id: 7, topics: ['tokens'] });
    expect(b.got).toEqual([{ mgw: 'apply', id: expect.any(Number), topics: ['tokens'] }]);
    expect(a.got).toEqual([]);
    relay.message(2, { mgw: 'applied', id: (b.got[0] as { id: number }).id, ok: true });
    expect(a.got).toEqual([{ mgw: 'done', id: 7 }]);
  });

  it('answers at once when there is no other worker', () => {
    const relay = createChangeRelay(silent);
    const only = fakeWorker(1);
    relay.forked(only);
    relay.message(1, { mgw: 'ready' });
    relay.message(1, { mgw: 'change', id: 1, topics: ['blacklist'] });
    expect(only.got).toEqual([{ mgw: 'go', topics: [] }, { mgw: 'done', id: 1 }]);
  });

  it('does not wait for a starting worker, and hands it the changes it missed before it listens', () => {
    const { relay, a, b, c } = setup();
    relay.message(1, { mgw: 'change', id: 1, topics: ['tenants'] });
    relay.message(2, { mgw: 'applied', id: (b.got[0] as { id: number }).id, ok: true });
    expect(a.got).toEqual([{ mgw: 'done', id: 1 }]);
    relay.message(2, { mgw: 'change', id: 1, topics: ['tokens', 'tenants'] });
    expect(c.got).toEqual([]);
    relay.message(3, { mgw: 'ready' });
    expect(c.got).toHaveLength(1);
    expect((c.got[0] as { topics: StoreTopic[] }).topics.sort()).toEqual(['tenants', 'tokens']);
  });

  it('stops a worker that does not confirm in time, and answers once it is gone (fail closed)', () => {
    jest.useFakeTimers();
    const { relay, a, b } = setup(2000);
    relay.message(1, { mgw: 'change', id: 3, topics: ['tokens'] });
    jest.advanceTimersByTime(1999);
    expect(b.killed).toBe(false);
    jest.advanceTimersByTime(1);
    expect(b.killed).toBe(true);
    // Killed is not yet gone: the announcer still waits.
    expect(a.got).toEqual([]);
    relay.exited(2);
    expect(a.got).toEqual([{ mgw: 'done', id: 3 }]);
  });

  it('stops a worker that could not apply a change', () => {
    const { relay, a, b } = setup();
    relay.message(1, { mgw: 'change', id: 4, topics: ['blacklist'] });
    relay.message(2, { mgw: 'applied', id: (b.got[0] as { id: number }).id, ok: false });
    expect(b.killed).toBe(true);
    expect(a.got).toEqual([]);
    relay.exited(2);
    expect(a.got).toEqual([{ mgw: 'done', id: 4 }]);
  });

  it('stops a worker it cannot send to', () => {
    const { relay, b } = setup();
    b.send = () => {
      throw new Error('channel closed');
    };
    relay.message(1, { mgw: 'change', id: 5, topics: ['tokens'] });
    expect(b.killed).toBe(true);
  });

  it('ignores messages that are not the relay\'s, and workers it does not know', () => {
    const { relay, a, b } = setup();
    relay.message(1, { cmd: 'NODE_CLUSTER' });
    relay.message(9, { mgw: 'change', id: 1, topics: ['tokens'] });
    expect([a.got, b.got]).toEqual([[], []]);
  });
});

describe('worker link', () => {
  function fakeChannel() {
    const events = new EventEmitter();
    const sent: WorkerMessage[] = [];
    const channel = {
      sent,
      send: (m: WorkerMessage, cb: (err: Error | null) => void) => {
        sent.push(m);
        cb(null);
        return true;
      },
      on: (event: 'message', listener: (m: unknown) => void) => events.on(event, listener),
      deliver: (m: PrimaryMessage) => events.emit('message', m),
    };
    return channel;
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it('announces a change and resolves when the primary says every sibling applied it', async () => {
    const ch = fakeChannel();
    const link = linkToPrimary(ch);
    let done = false;
    const announced = link.announce(['tokens']).then(() => (done = true));
    expect(ch.sent).toEqual([{ mgw: 'change', id: 1, topics: ['tokens'] }]);
    await tick();
    expect(done).toBe(false);
    ch.deliver({ mgw: 'done', id: 1 });
    await announced;
  });

  it('joins: applies what it missed before resolving, then applies and confirms the siblings\' changes', async () => {
    const ch = fakeChannel();
    const link = linkToPrimary(ch);
    const applied: StoreTopic[] = [];
    const joined = link.join(async (t) => {
      if (t === 'keys') throw new Error('reload failed');
      applied.push(t);
    });
    expect(ch.sent).toEqual([{ mgw: 'ready' }]);
    ch.deliver({ mgw: 'go', topics: ['tenants'] });
    await joined;
    expect(applied).toEqual(['tenants']);
    ch.deliver({ mgw: 'apply', id: 11, topics: ['tokens', 'blacklist'] });
    ch.deliver({ mgw: 'apply', id: 12, topics: ['keys'] });
    await tick();
    expect(applied).toEqual(['tenants', 'tokens', 'blacklist']);
    expect(ch.sent.slice(1)).toEqual([
      { mgw: 'applied', id: 11, ok: true },
      { mgw: 'applied', id: 12, ok: false },
    ]);
  });

  it('rejects an announcement when there is no primary to tell', async () => {
    const link = linkToPrimary({ on: () => undefined });
    await expect(link.announce(['tokens'])).rejects.toThrow(/cannot tell the other workers/);
  });
});

import { createStatusHub, DEFAULT_STATUS_QUEUE, StatusChangeEvent, StatusSink } from '../../../src/core/status-hub';

/** A sink whose transport accepts `capacity` writes, then reports backpressure until drained. */
function fakeSink(capacity: number) {
  const written: StatusChangeEvent[] = [];
  let drain: (() => void) | undefined;
  let ended: Error | 'ok' | undefined;
  let room = capacity;
  const sink: StatusSink = {
    write(e) {
      written.push(e);
      room -= 1;
      return room > 0;
    },
    onDrain(cb) {
      drain = cb;
    },
    end(err) {
      ended = err ?? 'ok';
    },
  };
  return {
    sink,
    written,
    ended: () => ended,
    flush(n: number) {
      room = n;
      const d = drain;
      drain = undefined;
      d?.();
    },
  };
}

const clock = () => 1_700_000_000_000;

describe('status hub', () => {
  it('publishes CONNECTED on the first channel and DISCONNECTED on the last, to accepting subscribers only', () => {
    const hub = createStatusHub(clock);
    const acme = fakeSink(100);
    const globex = fakeSink(100);
    hub.subscribe((e) => e.tenantId === 'acme', 0, acme.sink, 'acme');
    hub.subscribe((e) => e.tenantId === 'globex', 0, globex.sink, 'globex');
    const r1 = hub.connect('gw', 'acme', () => undefined);
    const r2 = hub.connect('gw', 'acme', () => undefined);
    r1();
    r1();
    r2();
    expect(acme.written.map((e) => [e.gatewayId, e.connected, e.timestamp])).toEqual([
      ['gw', true, 1_700_000_000],
      ['gw', false, 1_700_000_000],
    ]);
    expect(globex.written).toEqual([]);
  });

  it('a slow subscriber is ended with RESOURCE_EXHAUSTED past its queue size; the others still get everything', () => {
    const hub = createStatusHub(clock);
    const slow = fakeSink(1);
    const fast = fakeSink(10_000);
    hub.subscribe(() => true, 3, slow.sink, 'acme');
    hub.subscribe(() => true, 0, fast.sink, 'acme');
    for (let i = 0; i < 10; i++) hub.connect(`gw-${i}`, 't', () => undefined);
    expect(fast.written).toHaveLength(10);
    expect(slow.written).toHaveLength(1);
    const ended = slow.ended();
    expect(ended).toBeInstanceOf(Error);
    expect((ended as { code?: string }).code).toBe('ERR_RESOURCE_EXHAUSTED');
  });

  it('a subscriber that drains in time loses nothing and keeps order', () => {
    const hub = createStatusHub(clock);
    const s = fakeSink(2);
    hub.subscribe(() => true, 5, s.sink, 'acme');
    for (let i = 0; i < 5; i++) hub.connect(`gw-${i}`, 't', () => undefined);
    s.flush(100);
    expect(s.written.map((e) => e.gatewayId)).toEqual(['gw-0', 'gw-1', 'gw-2', 'gw-3', 'gw-4']);
    expect(s.ended()).toBeUndefined();
  });

  it('queueSize 0 means the default bound', () => {
    const hub = createStatusHub(clock);
    const s = fakeSink(1);
    hub.subscribe(() => true, 0, s.sink, 'acme');
    for (let i = 0; i < DEFAULT_STATUS_QUEUE + 1; i++) hub.connect(`gw-${i}`, 't', () => undefined);
    expect(s.ended()).toBeUndefined();
    hub.connect('one-more', 't', () => undefined);
    expect(s.ended()).toBeInstanceOf(Error);
  });

  it('kick ends every channel of a gateway and forgets its devices; close ends subscribers as a shutdown', () => {
    const hub = createStatusHub(clock);
    let kicked = 0;
    const s = fakeSink(100);
    hub.subscribe(() => true, 0, s.sink, 'acme');
    hub.connect('gw', 't', () => kicked++);
    hub.setDevices('gw', 't', [1, 2]);
    hub.kick(['gw']);
    expect(kicked).toBe(1);
    expect(hub.deviceIds('gw')).toEqual([]);
    hub.close();
    expect(s.ended()).toMatchObject({ code: 'ERR_SHUTTING_DOWN' });
  });

  it('holds at most subscribersPerTenant subscribers per tenant; one that ends makes room', () => {
    const hub = createStatusHub(clock, { subscribersPerTenant: 2 });
    const first = hub.subscribe(() => true, 0, fakeSink(100).sink, 'acme');
    hub.subscribe(() => true, 0, fakeSink(100).sink, 'acme');
    expect(() => hub.subscribe(() => true, 0, fakeSink(100).sink, 'acme')).toThrow(expect.objectContaining({ code: 'ERR_RESOURCE_EXHAUSTED' }));
    // Other tenants are not affected.
    hub.subscribe(() => true, 0, fakeSink(100).sink, 'globex');
    first();
    first(); // twice counts once
    hub.subscribe(() => true, 0, fakeSink(100).sink, 'acme');
    expect(() => hub.subscribe(() => true, 0, fakeSink(100).sink, 'acme')).toThrow(expect.objectContaining({ code: 'ERR_RESOURCE_EXHAUSTED' }));
  });

  it('a subscriber ended for falling behind frees its place', () => {
    const hub = createStatusHub(clock, { subscribersPerTenant: 1 });
    const slow = fakeSink(0);
    hub.subscribe(() => true, 1, slow.sink, 'acme');
    hub.connect('a', 't', () => undefined);
    hub.connect('b', 't', () => undefined);
    hub.connect('c', 't', () => undefined);
    expect(slow.ended()).toBeInstanceOf(Error);
    expect(() => hub.subscribe(() => true, 0, fakeSink(100).sink, 'acme')).not.toThrow();
  });

  it('a device that connects or goes away joins or leaves the list; a connected gateway announces the change', () => {
    const hub = createStatusHub(clock);
    const s = fakeSink(100);
    hub.subscribe(() => true, 0, s.sink, 'acme');
    hub.setDeviceReachable('gw', 'acme', 9, true);
    expect(hub.deviceIds('gw')).toEqual([9]);
    expect(s.written).toEqual([]); // not connected: nothing to announce
    hub.connect('gw', 'acme', () => undefined);
    hub.setDeviceReachable('gw', 'acme', 3, true);
    hub.setDeviceReachable('gw', 'acme', 3, true); // no change, no announcement
    hub.setDeviceReachable('gw', 'acme', 9, false);
    expect(hub.deviceIds('gw')).toEqual([3]);
    expect(s.written.map((e) => e.connected)).toEqual([true, true, true]);
  });

  it('a device list change of a gateway another instance holds is announced too', () => {
    const hub = createStatusHub(clock);
    const s = fakeSink(100);
    hub.subscribe(() => true, 0, s.sink, 'acme');
    hub.setRemote(new Map([['gw', { tenantId: 'acme', deviceIds: [1] }]]));
    hub.setRemote(new Map([['gw', { tenantId: 'acme', deviceIds: [1] }]]));
    hub.setRemote(new Map([['gw', { tenantId: 'acme', deviceIds: [1, 2] }]]));
    expect(s.written.map((e) => e.connected)).toEqual([true, true]);
    expect(hub.deviceIds('gw')).toEqual([1, 2]);
  });

  it('attached channels end with a kick but never make the gateway CONNECTED', () => {
    const hub = createStatusHub(clock);
    let ended = 0;
    const release = hub.attach('gw', 't', () => ended++);
    expect(hub.isConnected('gw')).toBe(false);
    hub.kick(['gw']);
    expect(ended).toBe(1);
    release();
  });
});

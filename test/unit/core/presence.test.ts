import pino from 'pino';
import { createPresence } from '../../../src/core/presence';
import { createStatusHub } from '../../../src/core/status-hub';
import { PresenceRecord, Store } from '../../../src/store/store';

/**
 * A store that behaves like a pooled database: every presence write is in flight until the test
 * lets it commit, and writes commit in whatever order the test chooses.
 */
function pooledStore() {
  const rows = new Map<string, PresenceRecord>();
  const inFlight: { commit: () => void; fail: () => void }[] = [];
  let mostInFlight = 0;
  let failNext = 0;
  const pending = (apply: () => void) =>
    new Promise<void>((resolve, reject) => {
      if (failNext > 0) {
        failNext -= 1;
        reject(new Error('database unavailable'));
        return;
      }
      const entry = {
        commit: () => {
          inFlight.splice(inFlight.indexOf(entry), 1);
          apply();
          resolve();
        },
        fail: () => {
          inFlight.splice(inFlight.indexOf(entry), 1);
          reject(new Error('database unavailable'));
        },
      };
      inFlight.push(entry);
      mostInFlight = Math.max(mostInFlight, inFlight.length);
    });
  const store = {
    putPresence: (r: PresenceRecord) => pending(() => rows.set(r.gatewayId, { ...r, deviceIds: [...r.deviceIds] })),
    removePresence: (gatewayId: string) => pending(() => rows.delete(gatewayId)),
    heartbeat: async () => undefined,
    listPresence: async () => [],
    retireInstance: async () => undefined,
  } as unknown as Store;
  return {
    store,
    rows,
    inFlight,
    mostInFlight: () => mostInFlight,
    failNextWrites: (n: number) => (failNext = n),
  };
}

const settle = () => new Promise((r) => setImmediate(r));
const log = pino({ level: 'silent' });

/** A presence over a pooled store; the clock stands still, heartbeats come every `heartbeatMs`. */
async function started(heartbeatMs: number) {
  const db = pooledStore();
  const hub = createStatusHub(() => 1_000);
  const presence = await createPresence(db.store, hub, () => 1_000, log, { heartbeatMs });
  return { db, hub, presence };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

it('a device list sent right after connecting is what the store keeps, whatever order the database would commit in', async () => {
  const { db, hub, presence } = await started(60_000);
  hub.connect('gw', 'acme', () => undefined);
  hub.setDevices('gw', 'acme', [5, 6]);
  hub.setDevices('gw', 'acme', [5, 6, 7]);
  await settle();
  // One write per gateway at a time: the later states wait instead of racing the first.
  expect(db.inFlight).toHaveLength(1);
  db.inFlight[0].commit();
  await settle();
  expect(db.inFlight).toHaveLength(1);
  db.inFlight[0].commit();
  await settle();
  expect(db.inFlight).toHaveLength(0);
  expect(db.rows.get('gw')?.deviceIds).toEqual([5, 6, 7]);
  expect(db.mostInFlight()).toBe(1);
  await presence.close();
});

it('a quick connect and disconnect leave no record behind', async () => {
  const { db, hub, presence } = await started(60_000);
  const release = hub.connect('gw', 'acme', () => undefined);
  release();
  await settle();
  while (db.inFlight.length > 0) {
    db.inFlight[db.inFlight.length - 1].commit();
    await settle();
  }
  expect(db.rows.has('gw')).toBe(false);
  await presence.close();
});

it('different gateways are written side by side', async () => {
  const { db, hub, presence } = await started(60_000);
  hub.connect('gw1', 'acme', () => undefined);
  hub.connect('gw2', 'acme', () => undefined);
  await settle();
  expect(db.inFlight).toHaveLength(2);
  db.inFlight[1].commit();
  db.inFlight[0].commit();
  await settle();
  expect([...db.rows.keys()].sort()).toEqual(['gw1', 'gw2']);
  await presence.close();
});

it('a write the database refused is made again at the next heartbeat, unless a newer state replaced it', async () => {
  const { db, hub, presence } = await started(20);
  db.failNextWrites(1);
  hub.connect('gw', 'acme', () => undefined);
  hub.setDevices('gw', 'acme', [9]);
  await settle();
  expect(db.rows.has('gw')).toBe(false);
  // The refused connect was replaced by the newer device list, which is what gets written.
  await until(() => db.inFlight.length > 0);
  db.inFlight[0].commit();
  await settle();
  expect(db.rows.get('gw')?.deviceIds).toEqual([9]);

  db.failNextWrites(1);
  hub.setDevices('gw', 'acme', [10]);
  await settle();
  expect(db.rows.get('gw')?.deviceIds).toEqual([9]);
  await until(() => db.inFlight.length > 0);
  db.inFlight[0].commit();
  await settle();
  expect(db.rows.get('gw')?.deviceIds).toEqual([10]);
  await presence.close();
});

it('close waits for the write in flight before retiring the instance', async () => {
  const { db, hub, presence } = await started(60_000);
  hub.connect('gw', 'acme', () => undefined);
  await settle();
  let closed = false;
  const closing = presence.close().then(() => (closed = true));
  await settle();
  expect(closed).toBe(false);
  db.inFlight[0].commit();
  await closing;
  expect(closed).toBe(true);
});

/**
 * The audit's store writes: the events of one turn of the event loop go in one recordAudits write,
 * each caller resolving only once that write committed; a refused batch is written again event by
 * event, so only a bad event loses its row (and is logged). Over a real embedded store.
 */
import pino from 'pino';
import { Writable } from 'node:stream';
import { AUDIT_EVENTS_PER_WRITE, createAudit } from '../../../src/core/identity/audit';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { AuditEvent, Store } from '../../../src/store/store';

const clock = () => 1_800_000_000_000;
const refreshOf = (username: string) => ({ event: 'refresh', outcome: 'success', dialect: 'datarhei', username, tenantId: 'acme', address: '192.0.2.40' }) as const;

function logged() {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { lines, log: pino({ level: 'info' }, sink) };
}

/** The embedded store, its audit writes counted and held until `release` (each write's events listed). */
function heldStore() {
  const store = openSqliteStore(':memory:', { pollMs: 0 });
  const writes: AuditEvent[][] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const recordAudits = store.recordAudits.bind(store);
  const wrapped = new Proxy(store, {
    get: (target, key) =>
      key === 'recordAudits'
        ? async (events: AuditEvent[]) => {
            writes.push([...events]);
            await held;
            return recordAudits(events);
          }
        : Reflect.get(target, key),
  }) as Store;
  return { store, wrapped, writes, release };
}

it('writes the events of one turn in one write, and answers each caller only once it committed', async () => {
  const { store, wrapped, writes, release } = heldStore();
  const audit = createAudit(wrapped, clock, logged().log);
  let answered = 0;
  const calls = ['ann', 'bob', 'cid'].map((name) => audit(refreshOf(name)).then(() => answered++));
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  expect(writes.map((w) => w.map((e) => e.username))).toEqual([['ann', 'bob', 'cid']]);
  expect(answered).toBe(0);
  release();
  await Promise.all(calls);
  expect((await store.listAudit(10)).map((e) => e.username).sort()).toEqual(['ann', 'bob', 'cid']);
  await store.close();
});

it(`starts another write past ${AUDIT_EVENTS_PER_WRITE} events of a turn`, async () => {
  const { store, wrapped, writes, release } = heldStore();
  release();
  const audit = createAudit(wrapped, clock, logged().log);
  await Promise.all(Array.from({ length: AUDIT_EVENTS_PER_WRITE + 3 }, (_, i) => audit(refreshOf(`u${i}`))));
  expect(writes.map((w) => w.length)).toEqual([AUDIT_EVENTS_PER_WRITE, 3]);
  expect(await store.listAudit(1000)).toHaveLength(AUDIT_EVENTS_PER_WRITE + 3);
  await store.close();
});

it('writes a refused batch again event by event: only the bad event is lost, and logged', async () => {
  const store = openSqliteStore(':memory:', { pollMs: 0 });
  const bad = (e: AuditEvent) => e.username === 'bad';
  const picky = new Proxy(store, {
    get: (target, key) => {
      if (key === 'recordAudits') return async (events: AuditEvent[]) => (events.some(bad) ? Promise.reject(new Error('refused')) : target.recordAudits(events));
      if (key === 'recordAudit') return async (event: AuditEvent) => (bad(event) ? Promise.reject(new Error('refused')) : target.recordAudit(event));
      return Reflect.get(target, key);
    },
  }) as Store;
  const { lines, log } = logged();
  const audit = createAudit(picky, clock, log);
  await Promise.all(['ann', 'bad', 'cid'].map((name) => audit(refreshOf(name))));
  expect((await store.listAudit(10)).map((e) => e.username).sort()).toEqual(['ann', 'cid']);
  expect(lines.filter((l) => l.msg === 'could not record an audit event')).toHaveLength(1);
  await store.close();
});

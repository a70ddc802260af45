/**
 * The audit's store writes from the core's side: every event goes to the store (which groups them,
 * sqlite-audit-batches.test.ts), each caller resolving once its row committed; an event the store
 * refuses is logged, never thrown at the caller, and costs no other event its row.
 */
import pino from 'pino';
import { Writable } from 'node:stream';
import { createAudit } from '../../../src/core/identity/audit';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { AuditEvent, Store } from '../../../src/store/store';

const clock = () => 1_800_000_000_000;
const refreshOf = (username: string) => ({ event: 'refresh', outcome: 'success', dialect: 'datarhei', username, tenantId: 'acme', address: '192.0.2.40' }) as const;

it('logs an event the store refused instead of throwing it, and the other events keep their rows', async () => {
  const store = openSqliteStore(':memory:', { pollMs: 0 });
  const picky = new Proxy(store, {
    get: (target, key) =>
      key === 'recordAudit'
        ? async (event: AuditEvent) => (event.username === 'bad' ? Promise.reject(new Error('refused')) : target.recordAudit(event))
        : Reflect.get(target, key),
  }) as Store;
  const lines: { msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { msg: string });
      done();
    },
  });
  const audit = createAudit(picky, clock, pino({ level: 'info' }, sink));
  await expect(Promise.all(['ann', 'bad', 'cid'].map((name) => audit(refreshOf(name))))).resolves.toEqual([undefined, undefined, undefined]);
  expect((await store.listAudit(10)).map((e) => e.username).sort()).toEqual(['ann', 'cid']);
  expect(lines.filter((l) => l.msg === 'could not record an audit event')).toHaveLength(1);
  await store.close();
});

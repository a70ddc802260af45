/** Audit failures all reach the store, but the log gets at most AUDIT_WARN_LINES_PER_MINUTE of them, then one line with the count left out. */
import pino from 'pino';
import { Writable } from 'node:stream';
import { AUDIT_WARN_LINES_PER_MINUTE, createAudit } from '../../../src/core/identity/audit';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store';

it('caps failure lines per minute and says how many were left out; success lines are not capped', async () => {
  let now = 1_800_000_000_000;
  const lines: { level: number; msg: string; unlogged?: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const store = openSqliteStore(':memory:', { pollMs: 0 });
  const audit = createAudit(store, () => now, pino({ level: 'info' }, sink));
  const failure = { event: 'login', outcome: 'failure', dialect: 'edr', address: '192.0.2.9', detail: 'ERR_TOKEN_INVALID' } as const;
  const extra = 50;
  for (let i = 0; i < AUDIT_WARN_LINES_PER_MINUTE + extra; i++) await audit(failure);
  await audit({ ...failure, outcome: 'success' });
  expect(lines.filter((l) => l.msg === 'audit login failure')).toHaveLength(AUDIT_WARN_LINES_PER_MINUTE);
  expect(lines.filter((l) => l.msg === 'audit login success')).toHaveLength(1);
  now += 60_000;
  await audit(failure);
  const summary = lines.filter((l) => l.unlogged !== undefined);
  expect(summary).toEqual([expect.objectContaining({ level: 40, unlogged: extra })]);
  expect(lines.filter((l) => l.msg === 'audit login failure')).toHaveLength(AUDIT_WARN_LINES_PER_MINUTE + 1);
  expect(await store.listAudit(10_000)).toHaveLength(AUDIT_WARN_LINES_PER_MINUTE + extra + 2);
  await store.close();
});

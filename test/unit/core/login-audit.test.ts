/** The gRPC login audit: batched off the hot path, bounded per certificate, nothing lost on close. */
import pino from 'pino';
import { AuditEvent, AuditStore } from '../../../src/store/store';
import { TenantNotFound } from '../../../src/errors';
import { createLoginAudit, EVENTS_PER_MINUTE } from '../../../src/core/login-audit';

function fakeStore() {
  const batches: AuditEvent[][] = [];
  const store = { recordAudits: async (events: AuditEvent[]) => void batches.push(events) } as unknown as AuditStore;
  return { store, batches };
}

it('keeps events in memory until a flush, then writes them in one batch, refusals with their code', async () => {
  const { store, batches } = fakeStore();
  const audit = createLoginAudit(store, () => 1000, pino({ level: 'silent' }));
  audit.record('login', undefined, 'acme');
  audit.record('login', undefined, 'ghost', new TenantNotFound('no'));
  audit.record('login', undefined, null, new Error('boom'));
  expect(batches).toEqual([]);
  await audit.close();
  expect(batches).toHaveLength(1);
  expect(batches[0].map((e) => [e.outcome, e.tenantId, e.detail, e.dialect, e.actor])).toEqual([
    ['success', 'acme', null, 'grpc', 'cert:none'],
    ['failure', 'ghost', 'ERR_TENANT_NOT_FOUND', 'grpc', 'cert:none'],
    ['failure', null, 'ERR_INTERNAL', 'grpc', 'cert:none'],
  ]);
});

it('past its rate, a certificate\'s events are counted, and one row says how many were left out', async () => {
  const { store, batches } = fakeStore();
  const audit = createLoginAudit(store, () => 1000, pino({ level: 'silent' }));
  for (let i = 0; i < EVENTS_PER_MINUTE + 25; i++) audit.record('login', undefined, 'acme', new TenantNotFound('no'));
  await audit.close();
  const written = batches.flat();
  expect(written).toHaveLength(EVENTS_PER_MINUTE + 1);
  expect(written[written.length - 1]).toMatchObject({ event: 'audit_overflow', actor: 'cert:none', tenantId: 'acme', detail: '25 login events over the rate left out' });
});

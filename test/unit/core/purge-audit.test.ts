/** Audit events past their retention go: at start (with the other purges), in batches, on the injected clock. */
import pino from 'pino';
import { createCore } from '../../../src/core/create-core';
import { PURGE_BATCH } from '../../../src/core/identity/purge-identity';
import { DEFAULT_AUDIT_RETENTION_DAYS, purgeAudit } from '../../../src/core/identity/purge-audit';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { AuditEvent, Store } from '../../../src/store/store';
import { testSecretBox } from '../../support/secret-box';

const NOW = 1_800_000_000_000;
const DAY = 86_400_000;
const clock = () => NOW;
let store: Store;

beforeEach(() => {
  store = openSqliteStore(':memory:', { pollMs: 0 });
});
afterEach(() => store.close());

const record = (at: number, detail: string) =>
  store.recordAudit({ at, event: 'login', outcome: 'failure', dialect: 'edr', username: null, tenantId: null, address: '192.0.2.7', detail } satisfies AuditEvent);

it('keeps 90 days by default', () => {
  expect(DEFAULT_AUDIT_RETENTION_DAYS).toBe(90);
});

it('drops every event older than the retention, past one batch, and nothing newer', async () => {
  for (let i = 0; i < PURGE_BATCH + 5; i++) await record(NOW - 31 * DAY + i, 'old');
  await record(NOW - 29 * DAY, 'kept');
  expect(await purgeAudit(store, clock, 30)).toBe(PURGE_BATCH + 5);
  expect((await store.listAudit(10)).map((e) => e.detail)).toEqual(['kept']);
});

it('the core purges audit events past auditRetentionDays at start', async () => {
  await record(NOW - 8 * DAY, 'old');
  await record(NOW - 6 * DAY, 'kept');
  const core = await createCore({ store, clock, log: pino({ level: 'silent' }), tokenIssuer: 't', tokenTtlSeconds: 60, passwordCost: { memoryKib: 64, timeCost: 1, parallelism: 1 }, auditRetentionDays: 7, secretBox: testSecretBox() });
  // close() waits for the purge that started with the core.
  await core.close();
  expect((await store.listAudit(10)).map((e) => e.detail)).toEqual(['kept']);
});

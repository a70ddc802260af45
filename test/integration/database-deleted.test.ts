/**
 * The embedded database's files deleted under a running gateway: from then on writes are refused
 * (UNAVAILABLE / 503, nothing acknowledged that a restart would lose), health says NOT_SERVING, and
 * the log says what happened and what to do.
 */
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openSession } from '../support/admin-session';
import { closeAllClients, codeOf, makeClient } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';
import { healthBecomes } from '../support/health';
import { http } from '../support/http';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }] });
  await gw.gateway.core.identity.users.add({ username: 'fay', tenantId: 'acme', password: 'fay password 1' });
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

it('refuses writes, reports NOT_SERVING and says so in the log once the database files are deleted', async () => {
  const health = makeClient(healthService as grpc.ServiceDefinition, gw.address, gw.pki.caPem, gw.pki.admin);
  const admin = await openSession(gw, gw.pki.admin);
  await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'before', gatewayIDs: [] }] });
  expect(await healthBecomes(health, 'SERVING')).toBe('SERVING');
  const login = () => http(gw.http, 'POST', '/Login', { body: { UserName: 'fay', TenantName: 'acme', Password: 'fay password 1' } });
  expect((await login()).status).toBe(200);

  const dir = join(gw.pki.dir, 'data');
  for (const name of ['gateway.db', 'gateway.db-wal', 'gateway.db-shm']) rmSync(join(dir, name));

  const add = await codeOf(admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'after', gatewayIDs: [] }] }));
  expect(add.code).toBe(grpc.status.UNAVAILABLE);
  const refused = await login();
  expect(refused.status).toBe(503);
  expect(refused.json).toMatchObject({ __type: 'ServiceUnavailable' });
  expect(await healthBecomes(health, 'NOT_SERVING')).toBe('NOT_SERVING');
  // Refused for good: the files do not come back by themselves.
  expect((await codeOf(admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'later', gatewayIDs: [] }] }))).code).toBe(grpc.status.UNAVAILABLE);
  const lines = gw.logs.map((l) => JSON.parse(l) as { level: number; msg: string; file?: string });
  expect(lines.filter((l) => l.level === 50 && /deleted or replaced/.test(l.msg))).toEqual([expect.objectContaining({ file: join(dir, 'gateway.db') })]);
});

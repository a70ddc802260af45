/** When the store cannot serve, the doors say so at once (503 / UNAVAILABLE) in each dialect's shape. */
import { http } from '../support/http';
import { startTestGateway, TestGateway } from '../support/gateway';
import { closeAllClients, codeOf } from '../support/clients';
import { openSession } from '../support/admin-session';
import { status } from '@grpc/grpc-js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }] });
  await gw.gateway.core.identity.users.add({ username: 'fay', tenantId: 'acme', password: 'fay password 1' });
});
afterAll(async () => {
  closeAllClients();
  await gw.close().catch(() => undefined);
});

it('answers 503 with Retry-After in the dialect shape, and gRPC UNAVAILABLE, once the database is gone', async () => {
  const admin = await openSession(gw, gw.pki.admin);
  await gw.gateway.core.store.close();
  const r = await http(gw.http, 'POST', '/api/login', { body: { username: 'fay', password: 'fay password 1' }, headers: { 'x-request-id': 'outage-1' } });
  expect(r.status).toBe(503);
  expect(r.headers.get('retry-after')).toBe('1');
  expect(r.headers.get('x-request-id')).toBe('outage-1');
  expect(r.json).toMatchObject({ code: 503, message: 'Service Unavailable' });
  const err = await codeOf(admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'new', gatewayIDs: [] }] }));
  expect(err.code).toBe(status.UNAVAILABLE);
  expect(err.details).toMatch(/database/);
  // Calls answered from memory keep working.
  expect(await admin.call('gateway', 'getList')).toEqual({ gatewayIDs: [] });
});

/**
 * Issue 10 §4: a `LoginAdmin(…, X)` token dies with X. Deleting X and adding it again (through the
 * Tenant API, on one instance) does not revive it, on this instance or on another one sharing the
 * store (the embedded database file; PostgreSQL when GATEWAY_TEST_DATABASE_URL is set).
 */
import * as grpc from '@grpc/grpc-js';
import { closeAllClients, codeOf } from '../support/clients';
import { openSession } from '../support/admin-session';
import { startTestGateway, TestGateway } from '../support/gateway';
import { eventually } from '../support/eventually';
import { makeTestPki, TestPki } from '../support/pki';
import { TEST_SYSTEM_SECRET } from '../support/secret-box';

let pki: TestPki;
let a: TestGateway;
let b: TestGateway;
const databaseUrl = process.env.GATEWAY_TEST_DATABASE_URL;
const run = Date.now().toString(36);

beforeAll(async () => {
  pki = makeTestPki();
  const config = databaseUrl ? { databaseUrl, secrets: [TEST_SYSTEM_SECRET] } : {};
  a = await startTestGateway({ pki, config });
  b = await startTestGateway({ pki, config });
});
afterAll(async () => {
  closeAllClients();
  await a?.close();
  await b?.close();
  pki.cleanup();
});


const refused = (p: Promise<unknown>) => codeOf(p).then((e) => e.code === grpc.status.UNAUTHENTICATED, () => false);

it('LoginAdmin(X) tokens, cached on A and on B, stay refused after X is deleted and added again; a new LoginAdmin(X) works', async () => {
  const x = `reborn-${run}`;
  const gwX = `gw-${run}`;
  const admin = await openSession(a, pki.admin);
  await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: x, gatewayIDs: [gwX] }] });
  const onA = await openSession(a, pki.admin, x);
  await eventually(() => openSession(b, pki.admin, x).then(() => true, () => false));
  const onB = await openSession(b, pki.admin, x);
  // Both tokens are in use (checked and cached on their connections) before the delete.
  expect(await onA.call('gateway', 'getList')).toEqual({ gatewayIDs: [gwX] });
  // B hears of the new gateway registration by polling the store.
  await eventually(async () => (await onB.call<{ gatewayIDs: string[] }>('gateway', 'getList')).gatewayIDs.includes(gwX));
  // The token from A, first presented on B after the re-add, is refused too.
  const carried = await openSession(b, pki.admin, x);
  carried.token = onA.token;

  await admin.call('tenant', 'delete', { tenantIDs: [x] });
  await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: x, gatewayIDs: [gwX] }] });

  expect(await refused(onA.call('gateway', 'getList'))).toBe(true);
  await eventually(() => refused(onB.call('gateway', 'getList')));
  expect(await refused(carried.call('gateway', 'getList'))).toBe(true);
  // The tokens stay dead; the re-added tenant is usable with a new LoginAdmin, on both instances.
  expect(await refused(onA.call('gateway', 'getList'))).toBe(true);
  for (const gw of [a, b]) {
    const again = await openSession(gw, pki.admin, x);
    await eventually(async () => (await again.call<{ gatewayIDs: string[] }>('gateway', 'getList')).gatewayIDs.includes(gwX));
  }
});

it("the administrator's own token is not touched by a tenant's delete and re-add", async () => {
  const x = `other-${run}`;
  const admin = await openSession(a, pki.admin);
  await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: x, gatewayIDs: [] }] });
  await admin.call('tenant', 'delete', { tenantIDs: [x] });
  await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: x, gatewayIDs: [] }] });
  expect((await admin.call<{ tenantIDs: string[] }>('tenant', 'getList')).tenantIDs).toContain(x);
});

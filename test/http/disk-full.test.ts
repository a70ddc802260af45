/**
 * Disk full under a running gateway (the embedded database is capped with PRAGMA max_page_count on the
 * gateway's own connection, so its writes fail with SQLITE_FULL): every dialect's login answers 503 in
 * its own shape, gRPC answers UNAVAILABLE, health says NOT_SERVING, and all of it recovers once the
 * disk has room and no write has failed for FAILED_WRITE_HOLD_MS.
 */
import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { service as healthService } from 'grpc-health-check';
import { FAILED_WRITE_HOLD_MS } from '../../src/store/sqlite/database-guard';
import { openSession } from '../support/admin-session';
import { closeAllClients, makeClient } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';
import { healthBecomes } from '../support/health';
import { http, HttpResult } from '../support/http';

let gw: TestGateway;
let db: Database.Database;
const PASSWORD = 'fay password 1';

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }] });
  await gw.gateway.core.identity.users.add({ username: 'fay', tenantId: 'acme', password: PASSWORD });
  // The gateway's own connection (max_page_count is per connection); checked so a reshaped store fails loudly here.
  db = (gw.gateway.core.store as unknown as { db: Database.Database }).db;
  expect(db).toBeInstanceOf(Database);
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

const logins: Record<string, () => Promise<HttpResult>> = {
  cognito: () => http(gw.http, 'POST', '/Login', { body: { UserName: 'fay', TenantName: 'acme', Password: PASSWORD } }),
  monogoto: () => http(gw.http, 'POST', '/Auth', { body: { UserName: 'fay', Password: PASSWORD } }),
  datarhei: () => http(gw.http, 'POST', '/api/login', { body: { username: 'fay', password: PASSWORD } }),
  edr: async () => {
    const account = await http(gw.http, 'POST', '/mobile/v1/auth/edr', { body: { username: 'fay', password: PASSWORD } });
    if (account.status !== 200) return account;
    return http(gw.http, 'POST', '/mobile/v1/auth/login', { body: { username: 'fay', password: PASSWORD, jwt: account.json.data } });
  },
};

/** Logs in until the database refuses (rows fill the last free space first); every answer is 200 or 503. */
async function firstRefusal(login: () => Promise<HttpResult>): Promise<HttpResult> {
  for (let i = 0; i < 200; i++) {
    const r = await login();
    if (r.status !== 200) return r;
  }
  throw new Error('never refused');
}

it('answers 503 in every dialect and UNAVAILABLE over gRPC, reports NOT_SERVING, and recovers', async () => {
  const health = makeClient(healthService as grpc.ServiceDefinition, gw.address, gw.pki.caPem, gw.pki.admin);
  const admin = await openSession(gw, gw.pki.admin);
  expect(await healthBecomes(health, 'SERVING')).toBe('SERVING');

  // No room left: every free page filled, and the file may not grow.
  db.exec('CREATE TABLE IF NOT EXISTS filler (x BLOB)');
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  expect(() => {
    for (;;) db.prepare('INSERT INTO filler VALUES (randomblob(1000))').run();
  }).toThrow(expect.objectContaining({ code: 'SQLITE_FULL' }));

  const cognito = await firstRefusal(logins.cognito);
  expect(cognito.status).toBe(503);
  expect(cognito.headers.get('retry-after')).toBe('1');
  expect(cognito.headers.get('x-amzn-errortype')).toBe('ServiceUnavailable');
  expect(cognito.json).toEqual({ __type: 'ServiceUnavailable', message: expect.any(String) });

  const monogoto = await firstRefusal(logins.monogoto);
  expect(monogoto.status).toBe(503);
  expect(monogoto.headers.get('retry-after')).toBe('1');
  expect(monogoto.text).toBe('Service Unavailable');

  const datarhei = await firstRefusal(logins.datarhei);
  expect(datarhei.status).toBe(503);
  expect(datarhei.json).toEqual({ code: 503, message: 'Service Unavailable', details: [expect.any(String)] });

  const edr = await firstRefusal(logins.edr);
  expect(edr.status).toBe(503);
  expect(edr.json).toEqual({ response: { code: 503, timestamp: expect.any(String), message: expect.any(String) }, data: null });

  let refused: { code: grpc.status } | undefined;
  for (let i = 0; i < 2000 && !refused; i++) {
    refused = await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: `tenant-filling-the-last-free-space-${i}`, gatewayIDs: [] }] }).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    );
  }
  expect(refused?.code).toBe(grpc.status.UNAVAILABLE);
  // A probe that only reads would still pass: health follows the failed writes.
  expect(await healthBecomes(health, 'NOT_SERVING')).toBe('NOT_SERVING');

  // Room again: health comes back once no write has failed for the hold time.
  db.exec('DROP TABLE filler');
  db.pragma('max_page_count = 1073741823');
  expect((await logins.cognito()).status).toBe(200);
  expect(await healthBecomes(health, 'NOT_SERVING')).toBe('NOT_SERVING');
  gw.clock.advance(FAILED_WRITE_HOLD_MS);
  expect(await healthBecomes(health, 'SERVING')).toBe('SERVING');
  for (const login of Object.values(logins)) expect((await login()).status).toBe(200);
  await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'roomy', gatewayIDs: [] }] });
});

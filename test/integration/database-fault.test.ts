/**
 * PostgreSQL goes away under load and comes back: calls that need it fail fast with UNAVAILABLE,
 * health says NOT_SERVING, the gateway recovers by itself, and every acknowledged write is there.
 * (The database is reached through a TCP proxy the test cuts and restores.)
 */
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { closeAllClients, makeClient, unary } from '../support/clients';
import { openSession } from '../support/admin-session';
import { TEST_SYSTEM_SECRET } from '../support/secret-box';
import { startTestGateway, TestGateway } from '../support/gateway';
import { createCuttableProxy, CuttableProxy } from '../support/tcp-proxy';
import { createSchemas, describePostgres, TEST_DATABASE_URL, urlWithSchema } from '../unit/store/postgres-test-database';

describePostgres('database outage under load', () => {
  const schemas = createSchemas();
  let proxy: CuttableProxy;
  let gw: TestGateway;

  beforeAll(async () => {
    const target = new URL(TEST_DATABASE_URL);
    proxy = await createCuttableProxy(target.hostname, Number(target.port || 5432));
    const url = new URL(urlWithSchema(await schemas.fresh(), { connect_timeout: '1' }));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    gw = await startTestGateway({ config: { databaseUrl: url.toString(), secrets: [TEST_SYSTEM_SECRET] } });
  });
  afterAll(async () => {
    closeAllClients();
    await gw.close().catch(() => undefined);
    await proxy.cut().catch(() => undefined);
    await schemas.end();
  });

  it('fails fast, reports NOT_SERVING, recovers without a restart, and loses no acknowledged write', async () => {
    const admin = await openSession(gw, gw.pki.admin);
    const health = makeClient(healthService as grpc.ServiceDefinition, gw.address, gw.pki.caPem, gw.pki.admin);
    const healthStates = new Set<string>();
    const acknowledged: string[] = [];
    const failures: grpc.status[] = [];
    let running = true;
    const load = (async () => {
      for (let i = 0; running; i++) {
        const id = `t-${i}`;
        const started = Date.now();
        try {
          await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: id, gatewayIDs: [] }] });
          acknowledged.push(id);
        } catch (err) {
          failures.push((err as grpc.ServiceError).code);
          expect(Date.now() - started).toBeLessThan(7000);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();
    const watch = setInterval(() => {
      unary<{ status: string }>(health, 'Check', { service: '' }).then((r) => healthStates.add(r.status), () => undefined);
    }, 100);

    await new Promise((r) => setTimeout(r, 500));
    await proxy.cut();
    await new Promise((r) => setTimeout(r, 2500));
    expect(healthStates.has('NOT_SERVING')).toBe(true);
    await proxy.restore();
    // Recovers by itself: writes are acknowledged again and health returns to SERVING.
    const before = acknowledged.length;
    for (let i = 0; i < 100 && (acknowledged.length === before || !healthStates.has('SERVING')); i++) await new Promise((r) => setTimeout(r, 100));
    healthStates.clear();
    await new Promise((r) => setTimeout(r, 1500));
    running = false;
    await load;
    clearInterval(watch);

    expect(acknowledged.length).toBeGreaterThan(before);
    expect(healthStates.has('SERVING')).toBe(true);
    expect(failures.length).toBeGreaterThan(0);
    expect(new Set(failures)).toEqual(new Set([grpc.status.UNAVAILABLE]));
    const { tenantIDs } = await admin.call<{ tenantIDs: string[] }>('tenant', 'getList');
    const stored = new Set(tenantIDs);
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    const fresh = await gw.gateway.core.store.listTenants();
    expect(acknowledged.filter((id) => !fresh.includes(id))).toEqual([]);
  });
});

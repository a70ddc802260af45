/**
 * What a password login writes once the password checked out (the attempt's success, the refresh
 * token, the audit row) is one store write: committed together, or nothing of it, and then no token
 * is handed out and no success is logged. Real gateway, real TLS, real embedded database.
 */
import { StoreUnavailable } from '../../src/errors';
import { startTestGateway, TestGateway } from '../support/gateway';
import { bearer, http } from '../support/http';
import { spyOnStore } from '../support/store-spy';

let gw: TestGateway;
let userId: string;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }] });
  userId = (await gw.gateway.core.identity.users.add({ username: 'ada', tenantId: 'acme', password: 'ada password 1' })).userId;
});
afterAll(async () => {
  await gw.close().catch(() => undefined);
});

const login = (password: string) => http(gw.http, 'POST', '/api/login', { body: { username: 'ada', password } });
const accountFailures = async () => (await gw.gateway.core.store.getFailures([`user:${userId}`])).map((c) => c.failures);
const successes = async () => (await gw.gateway.core.store.listAudit(100)).filter((e) => e.event === 'login' && e.outcome === 'success');
const successLines = () => gw.logs.filter((l) => l.includes('"audit login success"') || (l.includes('"audit":"login"') && l.includes('"outcome":"success"')));

it('settles the attempt, stores the refresh token and audits the success in one store write', async () => {
  expect((await login('wrong password')).status).toBe(401);
  expect(await accountFailures()).toEqual([1]);
  const store = gw.gateway.core.store;
  const spies = { add: spyOnStore(store, 'addRefreshToken'), one: spyOnStore(store, 'recordAudit'), many: spyOnStore(store, 'recordAudits'), settle: spyOnStore(store, 'attemptSucceeded') };
  try {
    const before = (await successes()).length;
    const r = await login('ada password 1');
    expect(r.status).toBe(200);
    expect(spies.add).not.toHaveBeenCalled();
    expect(spies.one).not.toHaveBeenCalled();
    expect(spies.many).not.toHaveBeenCalled();
    expect(spies.settle).toHaveBeenCalledTimes(1);
    expect(spies.settle.mock.calls[0][2]).toEqual({
      token: expect.objectContaining({ userId, dialect: 'datarhei', rotating: false }),
      audit: expect.objectContaining({ event: 'login', outcome: 'success', dialect: 'datarhei', username: 'ada', tenantId: 'acme' }),
    });
    // All of it took effect: the account's counter is gone, the token refreshes, the success is on record.
    expect(await accountFailures()).toEqual([]);
    expect((await http(gw.http, 'GET', '/api/login/refresh', { headers: bearer((r.json as { refresh_token: string }).refresh_token) })).status).toBe(200);
    expect(await successes()).toHaveLength(before + 1);
  } finally {
    Object.values(spies).forEach((s) => s.mockRestore());
  }
});

it('a refused write refuses the login: no token handed out, no success recorded or logged, the attempt still counted', async () => {
  expect((await login('wrong password')).status).toBe(401);
  const counted = await accountFailures();
  const before = { rows: (await successes()).length, lines: successLines().length };
  const settle = spyOnStore(gw.gateway.core.store, 'attemptSucceeded');
  settle.mockImplementationOnce(() => Promise.reject(new StoreUnavailable('the embedded database could not write (SQLITE_FULL); is the disk full?')));
  try {
    const r = await login('ada password 1');
    expect(r.status).toBe(503);
    expect(JSON.stringify(r.json)).not.toMatch(/eyJ/);
    expect(await successes()).toHaveLength(before.rows);
    expect(successLines()).toHaveLength(before.lines);
    // The attempt that never settled stays counted (no lock: only a failure sets one).
    expect(await accountFailures()).toEqual([counted[0] + 1]);
  } finally {
    settle.mockRestore();
  }
  // The next login goes through and starts the account over.
  expect((await login('ada password 1')).status).toBe(200);
  expect(await accountFailures()).toEqual([]);
  expect(successLines().length).toBeGreaterThan(before.lines);
});

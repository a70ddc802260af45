/**
 * Issue 10 §5 through a real dialect (datarhei `POST /api/login`): lockout counters belong to user
 * IDs, not to lower-cased names, and the owner's concurrent correct logins are never refused.
 */
import { http } from '../support/http';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }] });
  const { users } = gw.gateway.core.identity;
  await users.add({ username: 'victim7', tenantId: 'acme', password: 'victim password' });
  await users.add({ username: 'VICTIM7', tenantId: 'acme', password: 'attacker password' });
  await users.add({ username: 'owner', tenantId: 'acme', password: 'owner password' });
});
afterAll(() => gw.close());

const login = (username: string, password: string) => http(gw.http, 'POST', '/api/login', { body: { username, password } });

it("24 guesses at victim7, each followed by a good login of VICTIM7: the guesses are locked out after the threshold", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 24; i++) {
    statuses.push((await login('victim7', `guess-${i}`)).status);
    expect((await login('VICTIM7', 'attacker password')).status).toBe(200);
    // Past each delay (at most 32 s before the lockout), within the 900 s lockout.
    gw.clock.advance(35_000);
  }
  expect(statuses.filter((s) => s === 401)).toHaveLength(10);
  expect(statuses.filter((s) => s === 429)).toHaveLength(14);
});

it('ten concurrent logins with the correct password all succeed', async () => {
  const answers = await Promise.all(Array.from({ length: 10 }, () => login('owner', 'owner password')));
  expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
});

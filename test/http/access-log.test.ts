/** The HTTP bridge's access log and X-Request-Id, against a running gateway whose log the test reads. */
import { http, HttpResult } from '../support/http';
import { startTestGateway, TestGateway } from '../support/gateway';

const PASSWORD = 'access log password 1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }] });
  await gw.gateway.core.identity.users.add({ username: 'erin', tenantId: 'acme', password: PASSWORD });
});

afterAll(async () => {
  await gw.close();
});

type Line = Record<string, unknown>;
const accessLines = (logs: string[]): Line[] => logs.map((l) => JSON.parse(l) as Line).filter((l) => l.msg === 'http request');

/** Sends one request and returns its answer and the access lines it added (answers are logged once the response finished). */
async function traced(logs: string[], send: () => Promise<HttpResult>): Promise<{ r: HttpResult; lines: Line[] }> {
  const before = accessLines(logs).length;
  const r = await send();
  for (let i = 0; i < 50 && accessLines(logs).length === before; i++) await new Promise((res) => setTimeout(res, 5));
  await new Promise((res) => setTimeout(res, 5));
  return { r, lines: accessLines(logs).slice(before) };
}

/** A username never seen before: wrong passwords must not lock out erin (lockout counts per user across dialects). */
let strangers = 0;
const stranger = () => `stranger-${++strangers}`;
const withId = (id: string | undefined): Record<string, string> => (id === undefined ? {} : { 'x-request-id': id });

/** Answers of every dialect and of the bridge itself, successes and refusals. */
const CASES: { name: string; dialect: string; status: number; route: string; send: (headers: Record<string, string>) => Promise<HttpResult> }[] = [
  { name: 'datarhei login', dialect: 'datarhei', status: 200, route: '/api/login', send: (headers) => http(gw.http, 'POST', '/api/login', { body: { username: 'erin', password: PASSWORD }, headers }) },
  { name: 'datarhei wrong password', dialect: 'datarhei', status: 401, route: '/api/login', send: (headers) => http(gw.http, 'POST', '/api/login', { body: { username: stranger(), password: 'wrong' }, headers }) },
  { name: 'datarhei unknown route', dialect: 'datarhei', status: 404, route: '/api/nowhere', send: (headers) => http(gw.http, 'GET', '/api/nowhere?access_token=query-secret-1', { headers }) },
  { name: 'datarhei 413', dialect: 'datarhei', status: 413, route: '/api/login', send: (headers) => http(gw.http, 'POST', '/api/login', { raw: JSON.stringify({ username: 'a', password: 'x'.repeat(100_000) }), headers }) },
  { name: 'cognito login', dialect: 'cognito', status: 200, route: '/Login', send: (headers) => http(gw.http, 'POST', '/Login', { body: { UserName: 'erin', TenantName: 'acme', Password: PASSWORD }, headers }) },
  { name: 'cognito bad input', dialect: 'cognito', status: 400, route: '/Login', send: (headers) => http(gw.http, 'POST', '/Login', { raw: '{"UserName":', headers }) },
  { name: 'monogoto login', dialect: 'monogoto', status: 200, route: '/Auth', send: (headers) => http(gw.http, 'POST', '/Auth', { body: { UserName: 'erin', Password: PASSWORD }, headers }) },
  { name: 'monogoto unknown user', dialect: 'monogoto', status: 404, route: '/Auth', send: (headers) => http(gw.http, 'POST', '/Auth', { body: { UserName: stranger(), Password: 'wrong' }, headers }) },
  { name: 'edr malformed', dialect: 'edr', status: 400, route: '/mobile/v1/auth/login', send: (headers) => http(gw.http, 'POST', '/mobile/v1/auth/login', { raw: '{"jwt": ', headers }) },
  { name: 'edr unknown route', dialect: 'edr', status: 404, route: '/mobile/nowhere', send: (headers) => http(gw.http, 'GET', '/mobile/nowhere', { headers }) },
  { name: 'JWKS', dialect: 'bridge', status: 200, route: '/.well-known/jwks.json', send: (headers) => http(gw.http, 'GET', '/.well-known/jwks.json', { headers }) },
  { name: 'bridge unknown route', dialect: 'bridge', status: 404, route: '/nowhere', send: (headers) => http(gw.http, 'GET', '/nowhere?refresh_token=query-secret-2', { headers }) },
];

describe.each(CASES)('$name', ({ dialect, status, route, send }) => {
  it.each([
    ['a valid id is kept', 'client-id:1.A_b-c', (id: string) => expect(id).toBe('client-id:1.A_b-c')],
    ['an invalid id is replaced', 'no spaces allowed', (id: string) => expect(id).toMatch(UUID)],
    ['an over-long id is replaced', 'a'.repeat(129), (id: string) => expect(id).toMatch(UUID)],
    ['a missing id is made', undefined, (id: string) => expect(id).toMatch(UUID)],
  ])('%s, echoed in the answer and in its one access line', async (_what, given, check) => {
    const { r, lines } = await traced(gw.logs, () => send(withId(given)));
    expect(r.status).toBe(status);
    const id = r.headers.get('x-request-id') ?? '';
    check(id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, requestId: id, method: expect.any(String), route, status, dialect, client: '127.0.0.1', ms: expect.any(Number) });
  });
});

it('a 429 from the failure limit carries the id and is logged', async () => {
  const limited = await startTestGateway({ config: { httpFailuresPerMinute: 1 } });
  try {
    await http(limited.http, 'GET', '/nowhere');
    const { r, lines } = await traced(limited.logs, () => http(limited.http, 'GET', '/nowhere', { headers: withId('retry-me') }));
    expect(r.status).toBe(429);
    expect(r.headers.get('x-request-id')).toBe('retry-me');
    expect(lines).toEqual([expect.objectContaining({ requestId: 'retry-me', status: 429, route: '/nowhere', dialect: 'bridge' })]);
  } finally {
    await limited.close();
  }
});

it('never logs a password, a token, an Authorization value or a query string', async () => {
  const tokens = (await http(gw.http, 'POST', '/api/login', { body: { username: 'erin', password: PASSWORD } })).json as { access_token: string; refresh_token: string };
  const authorization = `Bearer ${tokens.access_token}`;
  await traced(gw.logs, () => http(gw.http, 'GET', '/api', { headers: { authorization } }));
  await traced(gw.logs, () => http(gw.http, 'GET', `/api/login/refresh?token=${tokens.refresh_token}`, { headers: { authorization: `Bearer ${tokens.refresh_token}` } }));
  const log = gw.logs.join('');
  expect(accessLines(gw.logs).length).toBeGreaterThan(CASES.length * 4);
  for (const secret of [PASSWORD, tokens.access_token, tokens.refresh_token, tokens.access_token.split('.')[2], 'query-secret-1', 'query-secret-2', 'access_token=', 'Bearer']) {
    expect(log).not.toContain(secret);
  }
});

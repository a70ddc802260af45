/**
 * Unauthenticated junk from one address is refused at once after GATEWAY_HTTP_FAILURES_PER_MINUTE
 * failures: 429 + Retry-After in the dialect's own shape, no audit row and no log line per refused
 * request. Addresses are told apart by X-Forwarded-For from a trusted proxy (127.0.0.1), so each
 * test sends from its own.
 */
import { http, HttpResult } from '../support/http';
import { startTestGateway, TestGateway } from '../support/gateway';

const LIMIT = 5;
let gw: TestGateway;
let nextAddress = 10;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }], config: { httpFailuresPerMinute: LIMIT, trustedProxies: ['127.0.0.1'] } });
});
afterAll(() => gw.close());

const from = () => {
  const address = `198.51.100.${nextAddress++}`;
  const send = (path: string, options: { body?: unknown; raw?: string } = {}) => http(gw.http, 'POST', path, { ...options, headers: { 'x-forwarded-for': address } });
  return { address, send };
};
const auditRowsOf = async (address: string) => (await gw.gateway.core.store.listAudit(10_000)).filter((e) => e.address === address).length;
const logLinesWith = (text: string) => gw.logs.filter((l) => l.includes(text)).length;

const edrJunk = { username: 'nobody@example.com', password: 'whatever password', jwt: 'not.a.jwt' };
const challengeJunk = { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 'junk.session', ChallengeResponses: { USERNAME: 'nobody', NEW_PASSWORD: 'new password 123' } };

function expectRetryAfter(r: HttpResult) {
  expect(r.status).toBe(429);
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
}

it('/mobile/v1/auth/login: after LIMIT junk logins an address gets the EDR 429 at once, with no audit row or log line per request', async () => {
  const { address, send } = from();
  const warnLines = logLinesWith('"audit":"login"');
  for (let i = 0; i < LIMIT; i++) expect((await send('/mobile/v1/auth/login', { body: edrJunk })).status).toBe(401);
  expect(await auditRowsOf(address)).toBe(LIMIT);
  for (let i = 0; i < 50; i++) {
    const r = await send('/mobile/v1/auth/login', { body: edrJunk });
    expectRetryAfter(r);
    expect(r.json).toEqual({ response: { code: 429, timestamp: expect.any(String), message: 'Too many failed login attempts, retry later' }, data: null });
  }
  // Malformed bodies are refused the same way.
  expectRetryAfter(await send('/mobile/v1/auth/login', { raw: '{not json' }));
  expect(await auditRowsOf(address)).toBe(LIMIT);
  expect(logLinesWith('"audit":"login"') - warnLines).toBe(LIMIT);
  expect(gw.logs.filter((l) => l.includes(address) && l.includes('refusing a client address'))).toHaveLength(1);
});

it('/RespondToAuthChallenge: junk sessions, then the Cognito 429 (TooManyRequestsException)', async () => {
  const { address, send } = from();
  for (let i = 0; i < LIMIT; i++) expect((await send('/RespondToAuthChallenge', { body: challengeJunk })).status).toBe(401);
  const r = await send('/RespondToAuthChallenge', { body: challengeJunk });
  expectRetryAfter(r);
  expect(r.headers.get('x-amzn-errortype')).toBe('TooManyRequestsException');
  expect(r.json).toEqual({ __type: 'TooManyRequestsException', message: 'Rate exceeded' });
  expect(await auditRowsOf(address)).toBe(LIMIT);
});

it('counts malformed bodies and unknown routes too; each dialect answers in its own shape; other addresses go on', async () => {
  const { send } = from();
  for (let i = 0; i < LIMIT; i++) expect((await send('/Auth', { raw: 'junk' })).status).toBeGreaterThanOrEqual(400);
  const monogoto = await send('/Auth', { raw: 'junk' });
  expectRetryAfter(monogoto);
  expect(monogoto.text).toBe('Too Many Requests');
  const datarhei = await send('/api/login', { raw: 'junk' });
  expectRetryAfter(datarhei);
  expect(datarhei.json).toEqual({ code: 429, message: 'Too Many Requests', details: ['Too many failed login attempts, retry later'] });
  const other = await send('/oauth2/introspect', { raw: 'token=x' });
  expectRetryAfter(other);
  expect(other.json).toEqual({ error: 'too_many_requests' });
  // Another address is not held up.
  expect((await from().send('/mobile/v1/auth/login', { body: edrJunk })).status).toBe(401);
});

it('an address that stops sending is let in again as failures refill (LIMIT per minute); one that keeps sending is not', async () => {
  const { address, send } = from();
  for (let i = 0; i < LIMIT; i++) await send('/mobile/v1/auth/login', { body: edrJunk });
  expectRetryAfter(await send('/mobile/v1/auth/login', { body: edrJunk }));
  // Still sending faster than the refill (one per 60/LIMIT s): each refused request counts too, so it never catches up.
  for (let i = 0; i < 5; i++) {
    gw.clock.advance(60_000 / LIMIT / 2);
    expectRetryAfter(await send('/mobile/v1/auth/login', { body: edrJunk }));
  }
  gw.clock.advance(2 * 60_000);
  expect((await send('/mobile/v1/auth/login', { body: edrJunk })).status).toBe(401);
  expect(gw.logs.filter((l) => l.includes(address) && l.includes('no longer refused'))).toHaveLength(1);
});

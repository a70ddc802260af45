/** What every dialect shares: the OpenAPI document, the JWKS, introspection, revocation, and unknown routes. */
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import Fastify from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { HttpServer, startHttpServer } from '../../src/http/http-server';
import { registerOpenApi } from '../../src/http/openapi';
import { http } from '../support/http';
import { startTestGateway, TestGateway } from '../support/gateway';

const CLIENT = 'rs1';
const CLIENT_SECRET = 'resource-server-secret-1';
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
const RS = basic(CLIENT, CLIENT_SECRET);
const STACK_TRACE = /\bat .+[.](ts|js):\d+|Error:|node_modules/;

/** The routes of the four dialects and the token endpoints that the document must list. */
const ROUTES: [string, string][] = [
  ['post', '/api/login'],
  ['get', '/api/login/refresh'],
  ['get', '/api'],
  ['post', '/Login'],
  ['post', '/RespondToAuthChallenge'],
  ['post', '/RefreshToken'],
  ['post', '/Auth'],
  ['post', '/Auth/Refresh'],
  ['post', '/mobile/v1/auth/edr'],
  ['post', '/mobile/v1/auth/login'],
  ['post', '/mobile/v1/auth/refresh'],
  ['get', '/.well-known/jwks.json'],
  ['post', '/oauth2/introspect'],
  ['post', '/oauth2/revoke'],
];

/** The parts of the generated OpenAPI 3.1 document this test reads. */
interface Operation {
  operationId: string;
  tags: string[];
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: object }> }>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: Record<string, unknown> };
}

let gw: TestGateway;
let routesOnly: HttpServer;
let doc: Document;
let user: { userId: string; username: string; password: string };
// OpenAPI 3.1 schemas are JSON Schema 2020-12.
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }], config: { introspectionClients: [`${CLIENT}:${CLIENT_SECRET}`], revocationClients: [CLIENT] } });
  const password = 'common password 1';
  const added = await gw.gateway.core.identity.users.add({ username: 'erin', tenantId: 'acme', password, firstName: 'Erin', lastName: 'Common', email: 'erin@acme.example' });
  user = { userId: added.userId, username: added.username, password };
  // A second bridge on the same core, only to reach fastify's own view (the gateway keeps its app private).
  const config = loadConfig({}, { certDir: join(gw.pki.dir, 'certs'), dataDir: join(gw.pki.dir, 'data'), httpPort: 0 });
  routesOnly = await startHttpServer({ core: gw.gateway.core, config, log: pino({ level: 'silent' }) }, '127.0.0.1', 0, pino({ level: 'silent' }), undefined);
  doc = (await http(gw.http, 'GET', '/openapi.json')).json;
});

afterAll(async () => {
  await routesOnly.close();
  await gw.close();
});

function documented(): [string, string][] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m): [string, string] => [m, path]));
}

/** Whether an answer is one the document lists for its operation, status and content type, and its body fits the schema. */
function checkAgainstDoc(method: string, path: string, r: { status: number; headers: Headers; json: unknown; text: string }): string[] {
  const where = `${method.toUpperCase()} ${path} ${r.status}`;
  const response = doc.paths[path]?.[method]?.responses[String(r.status)];
  if (!response) return [`${where}: status not documented (${r.text.slice(0, 120)})`];
  if (!response.content) return r.text === '' ? [] : [`${where}: undocumented body`];
  const type = (r.headers.get('content-type') ?? '').split(';')[0].trim();
  const media = response.content[type];
  if (!media) return [`${where}: content type ${type} is not documented`];
  const validate = ajv.compile(media.schema);
  return validate(type === 'application/json' ? r.json : r.text) ? [] : (validate.errors ?? []).map((e) => `${where}: ${e.instancePath} ${e.message}`);
}

describe('GET /openapi.json', () => {
  it('is valid JSON, OpenAPI 3.1.x, generated from the route schemas', async () => {
    const r = await http(gw.http, 'GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc).toEqual(JSON.parse(JSON.stringify(routesOnly.app.swagger())));
  });

  it.each(ROUTES)('lists %s %s with a request schema where it takes a body, a 2xx and its error answers', (method, path) => {
    const op = doc.paths[path]?.[method];
    expect(op).toBeDefined();
    const codes = Object.keys(op!.responses);
    expect(codes.some((c) => c.startsWith('2'))).toBe(true);
    if (method === 'post') {
      expect(codes.some((c) => c.startsWith('4'))).toBe(true);
      expect(Object.values(op!.requestBody!.content).every((m) => m.schema)).toBe(true);
    }
  });

  it('has unique operationIds, tags and security schemes that exist, and schemas ajv compiles', () => {
    const ids = documented().map(([m, p]) => doc.paths[p][m].operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = new Set(doc.tags.map((t) => t.name));
    const schemes = Object.keys(doc.components.securitySchemes ?? {});
    for (const [m, p] of documented()) {
      const op = doc.paths[p][m];
      for (const t of op.tags) expect(tags).toContain(t);
      for (const s of op.security ?? []) for (const name of Object.keys(s)) expect(schemes).toContain(name);
      const media = [...Object.values(op.requestBody?.content ?? {}), ...Object.values(op.responses).flatMap((a) => Object.values(a.content ?? {}))];
      for (const { schema } of media) expect(() => ajv.compile(schema)).not.toThrow();
    }
  });

  it('documents every route the server answers: a route without an operationId stops the start', async () => {
    expect(documented().map(([m, p]) => `${m} ${p}`).sort()).toEqual([...ROUTES, ['get', '/openapi.json']].map(([m, p]) => `${m} ${p}`).sort());
    const app = Fastify();
    await registerOpenApi(app);
    expect(() => app.get('/undocumented', async () => 'x')).toThrow(/operationId/);
    await app.close();
  });

  it.each([...ROUTES, ['get', '/openapi.json']])('%s %s is served, and a probe’s answer is a documented one', async (method, path) => {
    expect(routesOnly.app.hasRoute({ method: method.toUpperCase() as 'GET', url: path })).toBe(true);
    const r = await http(gw.http, method.toUpperCase(), path, method === 'get' ? {} : { body: {} });
    expect(r.text).not.toMatch(STACK_TRACE);
    expect(checkAgainstDoc(method, path, r)).toEqual([]);
  });
});

describe('successful answers fit the document', () => {
  const json = (path: string, body: unknown, headers?: Record<string, string>) => http(gw.http, 'POST', path, { body, headers });

  it('datarhei: login, refresh, about', async () => {
    const login = await json('/api/login', { username: user.username, password: user.password });
    expect(checkAgainstDoc('post', '/api/login', login)).toEqual([]);
    const refresh = await http(gw.http, 'GET', '/api/login/refresh', { headers: { authorization: `Bearer ${login.json.refresh_token}` } });
    expect(checkAgainstDoc('get', '/api/login/refresh', refresh)).toEqual([]);
    const about = await http(gw.http, 'GET', '/api', { headers: { authorization: `Bearer ${login.json.access_token}` } });
    expect(checkAgainstDoc('get', '/api', about)).toEqual([]);
  });

  it('Cognito style: login and refresh', async () => {
    const login = await json('/Login', { UserName: user.username, TenantName: 'acme', Password: user.password });
    expect(checkAgainstDoc('post', '/Login', login)).toEqual([]);
    const refresh = await json('/RefreshToken', { RefreshToken: login.json?.cognitoToken?.AuthenticationResult?.RefreshToken ?? 'none' });
    expect(checkAgainstDoc('post', '/RefreshToken', refresh)).toEqual([]);
    expect(refresh.status).toBe(200);
  });

  it('Monogoto style: login and refresh', async () => {
    const login = await json('/Auth', { UserName: user.username, Password: user.password });
    expect(checkAgainstDoc('post', '/Auth', login)).toEqual([]);
    const refresh = await json('/Auth/Refresh', { refreshToken: login.json?.refreshToken ?? 'none' });
    expect(checkAgainstDoc('post', '/Auth/Refresh', refresh)).toEqual([]);
    expect(refresh.status).toBe(200);
  });

  it('EDR: account step, login, refresh', async () => {
    const step = await json('/mobile/v1/auth/edr', { username: user.username, password: user.password });
    expect(checkAgainstDoc('post', '/mobile/v1/auth/edr', step)).toEqual([]);
    const login = await json('/mobile/v1/auth/login', { username: user.username, password: user.password, jwt: step.json.data });
    expect(checkAgainstDoc('post', '/mobile/v1/auth/login', login)).toEqual([]);
    const refresh = await json('/mobile/v1/auth/refresh', { refreshToken: login.json.data.refreshToken });
    expect(checkAgainstDoc('post', '/mobile/v1/auth/refresh', refresh)).toEqual([]);
    expect(refresh.status).toBe(200);
  });

  it('no answer carrying a token or an introspection may be cached (RFC 6749 §5.1)', async () => {
    const login = await json('/api/login', { username: user.username, password: user.password });
    const refresh = await http(gw.http, 'GET', '/api/login/refresh', { headers: { authorization: `Bearer ${login.json.refresh_token}` } });
    const monogoto = await json('/Auth', { UserName: user.username, Password: user.password });
    const refused = await json('/Auth', { UserName: user.username, Password: 'not the password' });
    const inspected = await introspect(login.json.access_token);
    for (const r of [login, refresh, monogoto, refused, inspected]) {
      expect([r.status < 500, r.headers.get('cache-control'), r.headers.get('pragma')]).toEqual([true, 'no-store', 'no-cache']);
    }
    expect([login.status, refresh.status, monogoto.status, inspected.status]).toEqual([200, 200, 200, 200]);
  });

  it('the JWKS', async () => {
    expect(checkAgainstDoc('get', '/.well-known/jwks.json', await http(gw.http, 'GET', '/.well-known/jwks.json'))).toEqual([]);
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes only public EC keys (no "d", no HMAC secret)', async () => {
    const r = await http(gw.http, 'GET', '/.well-known/jwks.json');
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(r.json.keys.length).toBeGreaterThan(0);
    for (const key of r.json.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key.d).toBeUndefined();
    }
    expect(r.text).not.toContain(gw.gateway.core.identity.mobileKey.export().toString('base64'));
  });
});

/** An EDR session of the test user: an access token and a rotating refresh token. */
async function edrSession() {
  const step = await http(gw.http, 'POST', '/mobile/v1/auth/edr', { body: { username: user.username, password: user.password } });
  const login = await http(gw.http, 'POST', '/mobile/v1/auth/login', { body: { username: user.username, password: user.password, jwt: step.json.data } });
  expect(login.status).toBe(200);
  return login.json.data as { accessToken: string; refreshToken: string };
}

const form = (path: string, token: string | undefined, headers: Record<string, string> = RS) =>
  http(gw.http, 'POST', path, { raw: token === undefined ? '' : `token=${encodeURIComponent(token)}`, type: 'application/x-www-form-urlencoded', headers });
const introspect = (token: string | undefined, headers?: Record<string, string>) => form('/oauth2/introspect', token, headers);
const revoke = (token: string | undefined, headers?: Record<string, string>) => form('/oauth2/revoke', token, headers);
const INACTIVE = { active: false };

describe('POST /oauth2/introspect (RFC 7662)', () => {
  it.each([
    ['no credentials', {}],
    ['a wrong secret', basic(CLIENT, 'not-the-secret-at-all')],
    ['an unknown client', basic('rs2', CLIENT_SECRET)],
    ['a bearer token instead', { authorization: 'Bearer x' }],
  ])('%s: 401 invalid_client', async (_n, headers) => {
    const r = await introspect('whatever', headers);
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error: 'invalid_client' });
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('no token: 400 invalid_request', async () => {
    const r = await introspect(undefined);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: 'invalid_request' });
  });

  it('a live access token: active, naming user and tenant', async () => {
    const { accessToken } = await edrSession();
    const r = await introspect(accessToken);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      active: true,
      token_type: 'access_token',
      sub: user.userId,
      username: user.username,
      tenant: 'acme',
      iss: 'master-gateway',
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
      client_id: CLIENT,
    });
  });

  it('a live refresh token: active, naming user and tenant; once spent by rotation: inactive', async () => {
    const { refreshToken } = await edrSession();
    const r = await introspect(refreshToken);
    expect(r.json).toEqual({ active: true, token_type: 'refresh_token', sub: user.userId, username: user.username, tenant: 'acme', iat: expect.any(Number), exp: expect.any(Number), client_id: 'rs1' });
    expect((await http(gw.http, 'POST', '/mobile/v1/auth/refresh', { body: { refreshToken } })).status).toBe(200);
    expect((await introspect(refreshToken)).json).toEqual(INACTIVE);
  });

  it.each([['garbage'], ['a.b.c'], ['x'.repeat(5000)]])('garbage (%#): inactive', async (token) => {
    const r = await introspect(token);
    expect(r.status).toBe(200);
    expect(r.json).toEqual(INACTIVE);
  });

  it('expired tokens: inactive', async () => {
    const { accessToken, refreshToken } = await edrSession();
    gw.clock.advance(3601_000);
    expect((await introspect(accessToken)).json).toEqual(INACTIVE);
    expect((await introspect(refreshToken)).json).toMatchObject({ active: true });
    gw.clock.advance(31 * 86_400_000);
    expect((await introspect(refreshToken)).json).toEqual(INACTIVE);
  });

  it('a disabled user’s tokens: inactive', async () => {
    await gw.gateway.core.identity.users.add({ username: 'frank', tenantId: 'acme', password: 'frank password' });
    const step = await http(gw.http, 'POST', '/mobile/v1/auth/edr', { body: { username: 'frank', password: 'frank password' } });
    const login = await http(gw.http, 'POST', '/mobile/v1/auth/login', { body: { username: 'frank', password: 'frank password', jwt: step.json.data } });
    await gw.gateway.core.identity.users.update('frank', { disabled: true });
    expect((await introspect(login.json.data.accessToken)).json).toEqual(INACTIVE);
    expect((await introspect(login.json.data.refreshToken)).json).toEqual(INACTIVE);
  });
});

describe('POST /oauth2/revoke (RFC 7009)', () => {
  it('needs client credentials', async () => {
    expect((await revoke('x', {})).status).toBe(401);
    expect((await revoke('x', basic(CLIENT, 'wrong-secret-wrong-secret'))).json).toEqual({ error: 'invalid_client' });
  });

  it('a known access token: 200, then it fails introspection', async () => {
    const { accessToken } = await edrSession();
    const r = await revoke(accessToken);
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect((await introspect(accessToken)).json).toEqual(INACTIVE);
  });

  it('a known refresh token: 200, then neither it nor its family refreshes', async () => {
    const { refreshToken } = await edrSession();
    expect((await revoke(refreshToken)).status).toBe(200);
    expect((await introspect(refreshToken)).json).toEqual(INACTIVE);
    const r = await http(gw.http, 'POST', '/mobile/v1/auth/refresh', { body: { refreshToken } });
    expect(r.status).toBe(401);
  });

  it('an unknown token: the same 200', async () => {
    const r = await revoke('never-issued');
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
  });

  it('no token: 400', async () => {
    expect((await revoke(undefined)).status).toBe(400);
  });
});

describe('outside every dialect', () => {
  it.each([
    ['GET', '/nothing'],
    ['POST', '/nothing'],
    ['GET', '/oauth2/introspect'],
    ['DELETE', '/openapi.json'],
    ['GET', '/.well-known/openid-configuration'],
    ['GET', '/mobilex'],
    ['GET', '/'],
  ])('%s %s: JSON 404, never a stack trace', async (method, path) => {
    const r = await http(gw.http, method, path);
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.json).toEqual({ error: 'not_found' });
    expect(r.text).not.toMatch(STACK_TRACE);
  });

  it('an oversized body: JSON 413', async () => {
    const r = await http(gw.http, 'POST', '/oauth2/introspect', { raw: `token=${'x'.repeat(70_000)}`, type: 'application/x-www-form-urlencoded', headers: RS });
    expect(r.status).toBe(413);
    expect(r.json).toEqual({ error: 'body_too_large' });
  });
});

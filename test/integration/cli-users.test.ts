/** user, role and keys commands against a running gateway, through the datarhei login as a client would. */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, serve, ServeProcess } from '../support/cli';
import { bearer, http, trust } from '../support/http';
import { closeAllClients, codeOf, decodeJwt, loginClient, makeClient, metadataWith, unary } from '../support/clients';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { GatewayService } from '../../src/gen/gsdk/gateway/gateway';

const RESOURCE_SERVER = 'rs:0123456789abcdef0123';

let root: string;
let env: NodeJS.ProcessEnv;
let server: ServeProcess;
let base: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mgw-users-'));
  env = { GATEWAY_CERT_DIR: join(root, 'certs'), GATEWAY_DATA_DIR: join(root, 'data'), GATEWAY_DEV_PKI: 'true', GATEWAY_PASSWORD_MEMORY_KIB: '1024', GATEWAY_PASSWORD_TIME_COST: '1', GATEWAY_INTROSPECTION_CLIENTS: RESOURCE_SERVER };
  server = await serve(env);
  base = trust(`https://127.0.0.1:${server.httpPort}`, readFileSync(join(root, 'certs', 'ca.crt'), 'utf8'));
  expect(cli(['tenant', 'add', 'acme'], env).status).toBe(0);
});

afterAll(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

const login = (username: string, password: string) => http(base, 'POST', '/api/login', { body: { username, password } });

it('user add reads the password from stdin (never argv); the user logs in; list never shows hashes', async () => {
  const added = cli(['user', 'add', 'alice', '--tenant', 'acme', '--email', 'alice@example.com', '--first-name', 'Alice'], env, 'alice secret 1\n');
  expect(added.stderr).toBe('');
  expect(added.stdout).toMatch(/added user alice \(tenant acme, role user/);
  expect(cli(['user', 'add', 'mallory', '--tenant', 'acme', '--password', 'x'], env).status).not.toBe(0);
  // The running server notices the CLI's new tenant within half a second (it polls the database file).
  await new Promise((r) => setTimeout(r, 700));
  let first = await login('alice', 'alice secret 1');
  for (let i = 0; i < 20 && first.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    first = await login('alice', 'alice secret 1');
  }
  expect(first.status).toBe(200);
  const listed = JSON.parse(cli(['user', 'list', '--json'], env).stdout);
  expect(listed).toEqual([expect.objectContaining({ username: 'alice', tenantId: 'acme', email: 'alice@example.com', firstName: 'Alice', disabled: false })]);
  expect(JSON.stringify(listed)).not.toMatch(/argon2|passwordHash/);
  expect(cli(['user', 'add', 'alice', '--tenant', 'acme'], env, 'another password\n').stderr).toMatch(/already exists/);
  expect(cli(['user', 'add', 'bob', '--tenant', 'ghost'], env, 'bob password\n').stderr).toMatch(/ghost does not exist/);
  expect(cli(['user', 'add', 'bob', '--tenant', 'acme'], env, 'short\n').stderr).toMatch(/at least 8/);
});

it('passwd changes the password and ends sessions; disable and enable', async () => {
  const tokens = (await login('alice', 'alice secret 1')).json;
  expect(cli(['user', 'passwd', 'alice'], env, 'alice secret 2\n').status).toBe(0);
  expect((await login('alice', 'alice secret 1')).status).toBe(401);
  expect((await login('alice', 'alice secret 2')).status).toBe(200);
  expect((await http(base, 'GET', '/api/login/refresh', { headers: bearer(tokens.refresh_token) })).status).toBe(401);
  expect(cli(['user', 'disable', 'alice'], env).status).toBe(0);
  expect((await login('alice', 'alice secret 2')).status).toBe(401);
  expect(cli(['user', 'enable', 'alice'], env).status).toBe(0);
  expect((await login('alice', 'alice secret 2')).status).toBe(200);
});

it('role set / list / delete; a held role cannot be deleted', () => {
  expect(cli(['role', 'set', 'operator', '--permission', 'Devices=view,edit', '--permission', 'Gateways=view'], env).status).toBe(0);
  expect(cli(['role', 'set', 'bad', '--permission', 'Devices'], env).stderr).toMatch(/Resource=verb/);
  expect(cli(['user', 'add', 'olga', '--tenant', 'acme', '--role', 'operator'], env, 'olga password\n').status).toBe(0);
  const roles = JSON.parse(cli(['role', 'list', '--json'], env).stdout) as { name: string; permissions: Record<string, string[]> }[];
  expect(roles.find((r) => r.name === 'operator')!.permissions).toEqual({ Devices: ['view', 'edit'], Gateways: ['view'] });
  expect(cli(['role', 'delete', 'operator'], env).stderr).toMatch(/still assigned/);
  expect(cli(['user', 'delete', 'olga'], env).status).toBe(0);
  expect(cli(['role', 'delete', 'operator'], env).status).toBe(0);
});

it('keys rotate adds a signing key: the JWKS shows both, old tokens stay valid, new ones use the new kid', async () => {
  const before = (await login('alice', 'alice secret 2')).json.access_token as string;
  const kidOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[0], 'base64url').toString()).kid as string;
  const r = cli(['keys', 'rotate'], env);
  expect(r.stdout).toMatch(/new signing key (\S+)/);
  const newKid = /new signing key (\S+)/.exec(r.stdout)![1];
  let kids: string[] = [];
  for (let i = 0; i < 30 && !kids.includes(newKid); i++) {
    kids = ((await http(base, 'GET', '/.well-known/jwks.json')).json.keys as { kid: string }[]).map((k) => k.kid);
    if (!kids.includes(newKid)) await new Promise((res) => setTimeout(res, 100));
  }
  expect(kids).toEqual([kidOf(before), newKid]);
  expect((await http(base, 'GET', '/api', { headers: bearer(before) })).json.id).toBeTruthy();
  expect(kidOf((await login('alice', 'alice secret 2')).json.access_token)).toBe(newKid);
  const listed = JSON.parse(cli(['keys', 'list', '--json'], env).stdout) as { alg: string; signing: boolean; encryptedWith: string | null }[];
  expect(listed.filter((k) => k.alg === 'ES256').map((k) => k.signing)).toEqual([false, true]);
  // Signing keys and HMAC secrets alike are stored encrypted.
  expect(listed.map((k) => k.alg).sort()).toEqual(['ES256', 'ES256', 'HS256', 'HS256']);
  expect(listed.every((k) => typeof k.encryptedWith === 'string')).toBe(true);
});

it('keys retire: refused for the signing key; a retired key leaves the JWKS and its tokens stop at once on gRPC (even one cached on a connection) and HTTP', async () => {
  const kids = async () => ((await http(base, 'GET', '/.well-known/jwks.json')).json.keys as { kid: string }[]).map((k) => k.kid);
  const until = async (done: () => Promise<boolean>) => {
    for (let i = 0; i < 40 && !(await done()); i++) await new Promise((res) => setTimeout(res, 100));
    expect(await done()).toBe(true);
  };
  const certs = env.GATEWAY_CERT_DIR!;
  const ca = readFileSync(join(certs, 'ca.crt'), 'utf8');
  const admin = { certPem: readFileSync(join(certs, 'admin.crt'), 'utf8'), keyPem: readFileSync(join(certs, 'admin_key.pem'), 'utf8') };
  const address = `localhost:${server.port}`;
  const grpcToken = (await unary<LoginResponse>(loginClient(address, ca, admin), 'login', { tenantCert: admin.certPem })).jwtToken;
  const gateway = makeClient(GatewayService, address, ca, admin);
  const getList = () => unary(gateway, 'getList', {}, metadataWith(grpcToken));
  await getList(); // now cached on this connection: later calls are answered from memory
  const httpToken = (await login('alice', 'alice secret 2')).json.access_token as string;
  const oldKid = decodeJwt(grpcToken).header.kid!;
  expect(decodeJwt(httpToken).header.kid).toBe(oldKid);
  const introspect = async () =>
    (await http(base, 'POST', '/oauth2/introspect', { raw: new URLSearchParams({ token: httpToken }).toString(), type: 'application/x-www-form-urlencoded', headers: { authorization: `Basic ${Buffer.from(RESOURCE_SERVER).toString('base64')}` } })).json.active;
  expect(await introspect()).toBe(true);

  expect(cli(['keys', 'retire', oldKid], env)).toMatchObject({ status: 1, stderr: expect.stringMatching(/is the one signing/) });
  const newKid = /new signing key (\S+)/.exec(cli(['keys', 'rotate'], env).stdout)![1];
  await until(async () => (await kids()).includes(newKid));
  const retired = cli(['keys', 'retire', oldKid], env);
  expect(retired.stderr).toBe('');
  expect(retired.status).toBe(0);
  await until(async () => !(await kids()).includes(oldKid));
  expect(await kids()).not.toContain(oldKid);
  expect(await codeOf(getList())).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  expect(await introspect()).toBe(false);
  expect((await http(base, 'GET', '/api', { headers: bearer(httpToken) })).json.id).toBeUndefined();
  // A new login signs with the remaining key, and works.
  const fresh = (await unary<LoginResponse>(loginClient(address, ca, admin), 'login', { tenantCert: admin.certPem })).jwtToken;
  expect(decodeJwt(fresh).header.kid).toBe(newKid);
  await expect(unary(gateway, 'getList', {}, metadataWith(fresh))).resolves.toBeDefined();
  expect(JSON.parse(cli(['keys', 'list', '--json'], env).stdout).map((k: { kid: string }) => k.kid)).not.toContain(oldKid);
  closeAllClients();
});

/**
 * serve --workers 2: a logout, a revocation, a deleted tenant and a spent challenge session are in
 * force on every worker when the call that made them answers. Connections are spread over the
 * workers round-robin; the logins logged with each worker's pid show that both were reached.
 * Runs on the embedded database, and on PostgreSQL when GATEWAY_TEST_DATABASE_URL is set.
 */
import * as grpc from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayService } from '../../src/gen/gsdk/gateway/gateway';
import { LoginService } from '../../src/gen/gsdk/login/login';
import { TenantService } from '../../src/gen/gsdk/tenant/tenant';
import { BIN, cli } from '../support/cli';
import { AnyClient, closeAllClients, makeClient, metadataWith, unary } from '../support/clients';
import { http, trust } from '../support/http';
import { createSchemas, TEST_DATABASE_URL, urlWithSchema } from '../unit/store/postgres-test-database';
import { TEST_SYSTEM_SECRET } from '../support/secret-box';

const CLIENT = 'resource-server';
const CLIENT_SECRET = 'rs-secret-0123456789';
/** Login and Gateway on one connection: a login shows (in the log) which worker the connection reached. */
const LOGIN_AND_GATEWAY = { ...LoginService, ...GatewayService };
const CONNECTIONS = 8;

interface Cluster {
  env: NodeJS.ProcessEnv;
  grpcAddress: string;
  httpBase: string;
  ca: string;
  admin: { certPem: string; keyPem: string };
  loginPids(): Set<unknown>;
  /** The pids of the logins logged so far, in order. */
  logins(): unknown[];
  output(): string;
  stop(): Promise<number | null>;
}

async function startCluster(root: string, databaseUrl?: string): Promise<Cluster> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GATEWAY_CERT_DIR: join(root, 'certs'),
    GATEWAY_DEV_PKI: 'true',
    GATEWAY_DATA_DIR: join(root, 'data'),
    GATEWAY_GRPC_HOST: '127.0.0.1',
    GATEWAY_GRPC_PORT: '0',
    GATEWAY_HTTP_HOST: '127.0.0.1',
    GATEWAY_HTTP_PORT: '0',
    GATEWAY_OPS_PORT: '0',
    GATEWAY_INTROSPECTION_CLIENTS: `${CLIENT}:${CLIENT_SECRET}`,
    GATEWAY_REVOCATION_CLIENTS: CLIENT,
    ...(databaseUrl ? { GATEWAY_DATABASE_URL: databaseUrl, GATEWAY_SECRETS: TEST_SYSTEM_SECRET } : {}),
  };
  const child = spawn(process.execPath, [BIN, 'serve', '--workers', '2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const lines = () =>
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  const serving = () => lines().filter((l) => l.msg === 'master gateway serving');
  for (let i = 0; i < 200 && serving().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  if (serving().length < 2) throw new Error(`two workers did not start:\n${out}`);
  const certs = join(root, 'certs');
  return {
    env,
    grpcAddress: `localhost:${serving()[0].port as number}`,
    httpBase: trust(`https://127.0.0.1:${serving()[0].httpPort as number}`, readFileSync(join(certs, 'ca.crt'), 'utf8')),
    ca: readFileSync(join(certs, 'ca.crt'), 'utf8'),
    admin: { certPem: readFileSync(join(certs, 'admin.crt'), 'utf8'), keyPem: readFileSync(join(certs, 'admin_key.pem'), 'utf8') },
    loginPids: () => new Set(lines().filter((l) => l.msg === 'login').map((l) => l.pid)),
    logins: () => lines().filter((l) => l.msg === 'login').map((l) => l.pid),
    output: () => out,
    async stop() {
      closeAllClients();
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Settled calls: how many succeeded, and the gRPC codes of the others. */
async function outcomes(calls: Promise<unknown>[]): Promise<{ ok: number; codes: Set<grpc.status> }> {
  const settled = await Promise.allSettled(calls);
  const codes = new Set(settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as grpc.ServiceError).code] : [])));
  return { ok: settled.filter((s) => s.status === 'fulfilled').length, codes };
}

/** Whether a GetList with the token succeeds within `ms`. */
function answersWithin(conn: AnyClient, token: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const fn = conn.getList as (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: Error | null) => void) => void;
    fn.call(conn, {}, metadataWith(token), { deadline: Date.now() + ms }, (err) => resolve(!err));
  });
}

const backends: [string, boolean][] = [
  ['the embedded database', false],
  ['PostgreSQL', true],
];

describe.each(backends)('serve --workers 2 on %s', (_name, postgres) => {
  const skip = postgres && !TEST_DATABASE_URL;
  const schemas = createSchemas();
  let root: string;
  let c: Cluster;
  let conns: AnyClient[];
  const getList = (conn: AnyClient, token: string) => unary(conn, 'getList', {}, metadataWith(token));

  beforeAll(async () => {
    if (skip) return;
    root = mkdtempSync(join(tmpdir(), 'mgw-in-force-'));
    c = await startCluster(root, postgres ? urlWithSchema(await schemas.fresh()) : undefined);
    conns = Array.from({ length: CONNECTIONS }, () => makeClient(LOGIN_AND_GATEWAY, c.grpcAddress, c.ca, c.admin));
    await Promise.all(conns.map((conn) => unary(conn, 'login', { tenantCert: c.admin.certPem })));
    for (let i = 0; i < 50 && c.loginPids().size < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(c.loginPids().size).toBe(2);
  }, 60_000);

  afterAll(async () => {
    if (skip) return;
    expect(await c.stop()).toBe(0);
    await schemas.end();
    rmSync(root, { recursive: true, force: true });
  });

  const maybe = skip ? it.skip : it;

  maybe('refuses a token on every worker once Logout has returned', async () => {
    for (let round = 0; round < 3; round++) {
      const { jwtToken } = await unary<{ jwtToken: string }>(conns[round], 'login', { tenantCert: c.admin.certPem });
      // In use on every connection, so each worker holds it as checked.
      expect((await outcomes(conns.map((conn) => getList(conn, jwtToken)))).ok).toBe(CONNECTIONS);
      await unary(conns[round], 'logout', {}, metadataWith(jwtToken));
      expect(await outcomes(conns.map((conn) => getList(conn, jwtToken)))).toEqual({ ok: 0, codes: new Set([grpc.status.UNAUTHENTICATED]) });
    }
  });

  maybe('refuses a token on every worker once /oauth2/revoke has answered', async () => {
    const basic = { authorization: `Basic ${Buffer.from(`${CLIENT}:${CLIENT_SECRET}`).toString('base64')}` };
    for (let round = 0; round < 3; round++) {
      const { jwtToken } = await unary<{ jwtToken: string }>(conns[round], 'login', { tenantCert: c.admin.certPem });
      expect((await outcomes(conns.map((conn) => getList(conn, jwtToken)))).ok).toBe(CONNECTIONS);
      const res = await http(c.httpBase, 'POST', '/oauth2/revoke', { raw: `token=${jwtToken}`, type: 'application/x-www-form-urlencoded', headers: basic });
      expect(res.status).toBe(200);
      expect(await outcomes(conns.map((conn) => getList(conn, jwtToken)))).toEqual({ ok: 0, codes: new Set([grpc.status.UNAUTHENTICATED]) });
    }
  });

  maybe('refuses the tokens of a tenant on every worker once Tenant.Delete has returned', async () => {
    const tenantApi = makeClient(TenantService, c.grpcAddress, c.ca, c.admin);
    const adminLogin = makeClient(LoginService, c.grpcAddress, c.ca, c.admin);
    const { jwtToken: adminToken } = await unary<{ jwtToken: string }>(adminLogin, 'login', { tenantCert: c.admin.certPem });
    for (let round = 0; round < 3; round++) {
      const tenant = `doomed-${round}`;
      await unary(tenantApi, 'add', { tenantInfos: [{ tenantID: tenant, gatewayIDs: [] }] }, metadataWith(adminToken));
      // The administrator acting as the tenant: a token of that tenant.
      const { jwtToken } = await unary<{ jwtToken: string }>(conns[round], 'loginAdmin', { adminTenantCert: c.admin.certPem, tenantID: tenant });
      expect((await outcomes(conns.map((conn) => getList(conn, jwtToken)))).ok).toBe(CONNECTIONS);
      await unary(tenantApi, 'delete', { tenantIDs: [tenant] }, metadataWith(adminToken));
      expect((await outcomes(conns.map((conn) => getList(conn, jwtToken)))).ok).toBe(0);
    }
  });

  maybe('lets exactly one of two concurrent answers to one Cognito challenge through', async () => {
    const users = ['carol', 'dave', 'erin', 'frank'];
    expect(cli(['tenant', 'add', 'acme'], c.env).status).toBe(0);
    for (const u of users) expect(cli(['user', 'add', u, '--tenant', 'acme', '--must-change'], c.env, 'first-password-1\n').status).toBe(0);
    for (const [i, u] of users.entries()) {
      const login = await http(c.httpBase, 'POST', '/Login', { body: { UserName: u, TenantName: 'acme', Password: 'first-password-1' } });
      expect(login.json.cognitoToken.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
      const answer = () =>
        http(c.httpBase, 'POST', '/RespondToAuthChallenge', {
          body: { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: login.json.cognitoToken.Session, ChallengeResponses: { USERNAME: u, NEW_PASSWORD: `new-password-${i}` } },
        });
      const statuses = (await Promise.all([answer(), answer()])).map((r) => r.status).sort();
      expect(statuses).toEqual([200, 401]);
    }
  });

  // Each worker remembers the token's record once used (refresh-tokens.ts): the revocation must reach both before it answers.
  maybe('refuses a refresh token on every worker once /oauth2/revoke has answered', async () => {
    const basic = { authorization: `Basic ${Buffer.from(`${CLIENT}:${CLIENT_SECRET}`).toString('base64')}` };
    expect(cli(['tenant', 'add', 'initech'], c.env).status).toBe(0);
    expect(cli(['user', 'add', 'gina', '--tenant', 'initech'], c.env, 'gina-password-1\n').status).toBe(0);
    const login = await http(c.httpBase, 'POST', '/Login', { body: { UserName: 'gina', TenantName: 'initech', Password: 'gina-password-1' } });
    const refreshToken = login.json.cognitoToken.AuthenticationResult.RefreshToken as string;
    const refresh = () => http(c.httpBase, 'POST', '/RefreshToken', { body: { RefreshToken: refreshToken } });
    expect((await Promise.all(Array.from({ length: 4 }, refresh))).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const res = await http(c.httpBase, 'POST', '/oauth2/revoke', { raw: `token=${refreshToken}`, type: 'application/x-www-form-urlencoded', headers: basic });
    expect(res.status).toBe(200);
    expect((await Promise.all(Array.from({ length: 4 }, refresh))).map((r) => r.status)).toEqual([401, 401, 401, 401]);
  });

  // Last: it costs the cluster a worker.
  maybe('stops a worker that cannot confirm a logout, so no worker serves the token after Logout returned', async () => {
    const { jwtToken } = await unary<{ jwtToken: string }>(conns[0], 'login', { tenantCert: c.admin.certPem });
    expect((await outcomes(conns.map((conn) => getList(conn, jwtToken)))).ok).toBe(CONNECTIONS);
    const hung = [...c.loginPids()][0] as number;
    process.kill(hung, 'SIGSTOP');
    try {
      // The connections still answered are the other worker's.
      const live = await Promise.all(conns.map((conn) => answersWithin(conn, jwtToken, 500).then((ok) => (ok ? conn : undefined))));
      const onOther = live.find((conn) => conn !== undefined)!;
      await unary(onOther, 'logout', {}, metadataWith(jwtToken));
    } finally {
      // Gone already when all went well; let it go on otherwise.
      try {
        process.kill(hung, 'SIGCONT');
      } catch {
        /* ESRCH */
      }
    }
    // Killed before Logout answered: the worker that did not confirm cannot serve the token.
    expect(() => process.kill(hung, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(c.output()).toMatch(/did not confirm a change within 2000 ms/);
    const fresh = Array.from({ length: CONNECTIONS }, () => makeClient(LOGIN_AND_GATEWAY, c.grpcAddress, c.ca, c.admin));
    expect((await outcomes(fresh.map((conn) => getList(conn, jwtToken)))).ok).toBe(0);
  }, 30_000);
});

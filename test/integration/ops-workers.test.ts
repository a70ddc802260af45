/** serve --workers N: the primary serves one operations listener whose /metrics sums every worker's. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { BIN } from '../support/cli';
import { closeAllClients, loginClient, unary } from '../support/clients';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mgw-ops-workers-'));
});
afterAll(() => {
  closeAllClients();
  rmSync(root, { recursive: true, force: true });
});

const fetchOps = (port: number, path: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });

it('one listener in the primary: /metrics adds up the workers, /readyz is 200 while they serve', async () => {
  const env = { PATH: process.env.PATH, GATEWAY_DEV_PKI: 'true', GATEWAY_CERT_DIR: join(root, 'certs'), GATEWAY_DATA_DIR: join(root, 'data'), GATEWAY_GRPC_HOST: '127.0.0.1', GATEWAY_GRPC_PORT: '0', GATEWAY_HTTP_HOST: '127.0.0.1', GATEWAY_HTTP_PORT: '-1', GATEWAY_OPS_PORT: '0' };
  const child = spawn(process.execPath, [BIN, 'serve', '--workers', '2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const lines = () => out.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return {}; } });
  const until = async (check: () => boolean, what: string) => {
    for (let i = 0; i < 150 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
    if (!check()) throw new Error(`timed out waiting for ${what}:\n${out}`);
  };
  try {
    await until(() => lines().filter((l) => l.msg === 'master gateway serving').length === 2, 'two workers serving');
    const serving = lines().filter((l) => l.msg === 'master gateway serving');
    // Workers open no listener of their own.
    expect(serving.map((l) => l.opsPort)).toEqual([undefined, undefined]);
    const opsPort = lines().find((l) => typeof l.msg === 'string' && l.msg.startsWith('operations listener serving'))?.port as number;
    expect(opsPort).toBeGreaterThan(0);

    const certs = join(root, 'certs');
    const admin = { certPem: readFileSync(join(certs, 'admin.crt'), 'utf8'), keyPem: readFileSync(join(certs, 'admin_key.pem'), 'utf8') };
    const ca = readFileSync(join(certs, 'ca.crt'), 'utf8');
    for (let i = 0; i < 6; i++) await unary<LoginResponse>(loginClient(`localhost:${serving[0].port as number}`, ca, admin), 'login', { tenantCert: admin.certPem });
    closeAllClients();

    const metrics = await fetchOps(opsPort, '/metrics');
    expect({ status: metrics.status, log: metrics.status === 200 ? "" : out }).toEqual({ status: 200, log: "" });
    expect(metrics.body).toMatch(/^gateway_grpc_calls_total\{method="Login\.Login",code="0"\} 6$/m);
    expect(metrics.body.match(/^build_info\{.*\} (\S+)$/m)?.[1]).toBe('1');
    expect((await fetchOps(opsPort, '/readyz')).status).toBe(200);
    expect((await fetchOps(opsPort, '/healthz')).status).toBe(200);
  } finally {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
});

/** serve --workers N: several processes on the same ports, restarted when they die, drained on SIGTERM. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { BIN } from '../support/cli';
import { closeAllClients, loginClient, unary } from '../support/clients';
import { spawn } from 'node:child_process';

let root: string;
/** Clusters still running when a test ends (a failed wait): killed, so no worker outlives the suite. */
const running = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  running.clear();
});
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mgw-workers-'));
});
afterAll(() => {
  closeAllClients();
  rmSync(root, { recursive: true, force: true });
});

function startCluster(workers: number) {
  const child = spawn(process.execPath, [BIN, 'serve', '--workers', String(workers)], {
    env: { PATH: process.env.PATH, GATEWAY_DEV_PKI: 'true', GATEWAY_CERT_DIR: join(root, 'certs'), GATEWAY_DATA_DIR: join(root, 'data'), GATEWAY_GRPC_HOST: '127.0.0.1', GATEWAY_GRPC_PORT: '0', GATEWAY_HTTP_HOST: '127.0.0.1', GATEWAY_HTTP_PORT: '0', GATEWAY_OPS_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const lines = () => out.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return {}; } });
  const serving = () => lines().filter((l) => l.msg === 'master gateway serving');
  // Up to 25 s: two workers each load the whole gateway, which took 13–15 s on a loaded 2-core host.
  const until = async (check: () => boolean, what: string) => {
    for (let i = 0; i < 250 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
    if (!check()) throw new Error(`timed out waiting for ${what}:\n${out}`);
  };
  return { child, exited, lines, serving, until, output: () => out };
}

it('runs N workers on one port, spreads connections over them, restarts a dead one, and drains all on SIGTERM', async () => {
  const c = startCluster(2);
  await c.until(() => c.serving().length === 2, 'two workers serving');
  const ports = new Set(c.serving().map((l) => l.port));
  expect(ports.size).toBe(1);
  const port = [...ports][0] as number;
  const certs = join(root, 'certs');
  const admin = { certPem: readFileSync(join(certs, 'admin.crt'), 'utf8'), keyPem: readFileSync(join(certs, 'admin_key.pem'), 'utf8') };
  const ca = readFileSync(join(certs, 'ca.crt'), 'utf8');
  for (let i = 0; i < 12; i++) {
    const res = await unary<LoginResponse>(loginClient(`localhost:${port}`, ca, admin), 'login', { tenantCert: admin.certPem });
    expect(res.jwtToken).toMatch(/^ey/);
  }
  await c.until(() => c.lines().filter((l) => l.msg === 'login').length === 12, 'twelve logins logged');
  const pids = new Set(c.lines().filter((l) => l.msg === 'login').map((l) => l.pid));
  expect(pids.size).toBe(2);

  const victim = c.serving()[0].pid as number;
  process.kill(victim, 'SIGKILL');
  await c.until(() => c.serving().length === 3, 'a replacement worker');
  expect(c.output()).toMatch(/worker died; starting another/);
  const res = await unary<LoginResponse>(loginClient(`localhost:${port}`, ca, admin), 'login', { tenantCert: admin.certPem });
  expect(res.jwtToken).toMatch(/^ey/);

  closeAllClients();
  c.child.kill('SIGTERM');
  expect(await c.exited).toBe(0);
  expect(c.lines().filter((l) => l.msg === 'stopped').length).toBeGreaterThanOrEqual(3);
});

it('SIGHUP to the primary reaches every worker: each reloads its TLS files, nothing exits', async () => {
  const c = startCluster(2);
  await c.until(() => c.serving().length === 2, 'two workers serving');
  const workers = new Set(c.serving().map((l) => l.pid));
  c.child.kill('SIGHUP');
  await c.until(() => c.lines().filter((l) => l.trigger === 'SIGHUP' && workers.has(l.pid)).length === 2, 'both workers reloading');
  expect(c.lines().some((l) => l.msg === 'telling the workers to reload the TLS files' && l.workers === 2)).toBe(true);
  expect(c.output()).not.toMatch(/worker died/);
  expect(c.child.exitCode).toBeNull();
  c.child.kill('SIGTERM');
  expect(await c.exited).toBe(0);
});

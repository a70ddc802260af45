/** `doctor` on real deployments in a temp dir: real files and modes, real certificates, a real store, real ports. */
import Database from 'better-sqlite3';
import { createHash, X509Certificate } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Finding } from '../../src/cli/doctor/finding';
import { runDoctor } from '../../src/cli/doctor/run-doctor';
import { MIGRATIONS } from '../../src/store/sqlite/migrations';
import { cli, serve } from '../support/cli';

let root: string;
let certs: string;
let data: string;
let env: NodeJS.ProcessEnv;

const listen = (port = 0): Promise<Server> =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen({ host: '127.0.0.1', port }, () => resolve(server));
  });
const portOf = (s: Server) => (s.address() as { port: number }).port;
const close = (s: Server) => new Promise((r) => s.close(r));
const freePort = async () => {
  const s = await listen();
  const port = portOf(s);
  await close(s);
  return port;
};

const doctor = (extra: NodeJS.ProcessEnv = {}) => {
  const r = cli(['doctor', '--json'], { ...env, ...extra });
  return { status: r.status, stderr: r.stderr, ...(JSON.parse(r.stdout) as { ok: boolean; findings: Finding[] }) };
};
const problems = (findings: Finding[]) => findings.filter((f) => !f.ok).map(({ area, subject, detail, fix }) => ({ area, subject, detail, fix }));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mgw-doctor-'));
  certs = join(root, 'certs');
  data = join(root, 'data');
  env = { GATEWAY_CERT_DIR: certs, GATEWAY_DATA_DIR: data, GATEWAY_GRPC_HOST: '127.0.0.1', GATEWAY_HTTP_HOST: '127.0.0.1', GATEWAY_GRPC_PORT: String(await freePort()), GATEWAY_HTTP_PORT: String(await freePort()) };
  expect(cli(['certs', 'init', '--out', certs, '--key', 'ec'], env).status).toBe(0);
  expect(cli(['store', 'init'], env).status).toBe(0);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

it('a healthy deployment: every check OK, "all well", exit 0', () => {
  const r = doctor();
  expect(problems(r.findings)).toEqual([]);
  expect(r).toMatchObject({ status: 0, stderr: '', ok: true });
  expect(new Set(r.findings.map((f) => f.area))).toEqual(new Set(['files', 'certificates', 'store', 'ports']));
  expect(r.findings).toContainEqual({ area: 'ports', subject: `gRPC 127.0.0.1:${env.GATEWAY_GRPC_PORT}`, ok: true, detail: 'free' });
  expect(r.findings).toContainEqual(expect.objectContaining({ area: 'store', ok: true, detail: 'answers (1 tenant)' }));
  const table = cli(['doctor'], env);
  expect(table.status).toBe(0);
  expect(table.stdout).toMatch(/^OK\s+certificates\s+.*server\.crt: covers localhost, 127\.0\.0\.1/m);
  expect(table.stdout.endsWith('all well\n')).toBe(true);
});

it('open permissions, a key of another certificate and a port held by another process: each with its fix, exit 1, nothing changed', async () => {
  const serverKey = join(certs, 'server_key.pem');
  const saved = join(root, 'server_key.saved');
  copyFileSync(serverKey, saved);
  copyFileSync(join(certs, 'admin_key.pem'), serverKey);
  chmodSync(serverKey, 0o644);
  chmodSync(certs, 0o755);
  const squatter = await listen(Number(env.GATEWAY_GRPC_PORT));
  try {
    const before = readFileSync(serverKey);
    const r = doctor();
    expect(r).toMatchObject({ status: 1, ok: false });
    expect(problems(r.findings)).toEqual([
      { area: 'files', subject: certs, detail: expect.stringMatching(/open to group\/others \(mode 755\)/), fix: `chmod 700 ${certs}` },
      { area: 'files', subject: serverKey, detail: expect.stringMatching(/mode 644/), fix: `chmod 600 ${serverKey}` },
      { area: 'certificates', subject: serverKey, detail: `is not the key of ${join(certs, 'server.crt')}`, fix: expect.stringMatching(/put the key of .*server\.crt in .*server_key\.pem/) },
      { area: 'ports', subject: `gRPC 127.0.0.1:${env.GATEWAY_GRPC_PORT}`, detail: 'held by another process: serve would fail to start', fix: expect.stringMatching(/GATEWAY_GRPC_PORT/) },
    ]);
    const table = cli(['doctor'], env).stdout;
    expect(table).toMatch(/^PROBLEM\s+files\s+.*server_key\.pem: .*\n\s+fix\s+chmod 600 .*server_key\.pem$/m);
    expect(table.endsWith('4 problems; doctor changed nothing\n')).toBe(true);
    // Doctor only looks.
    expect(statSync(serverKey).mode & 0o777).toBe(0o644);
    expect(statSync(certs).mode & 0o777).toBe(0o755);
    expect(readFileSync(serverKey)).toEqual(before);
  } finally {
    await close(squatter);
    copyFileSync(saved, serverKey);
    chmodSync(serverKey, 0o600);
    chmodSync(certs, 0o700);
  }
});

it('a server certificate within 30 days of expiry, or issued by another CA, or lacking a configured name (time moved, not waited for)', async () => {
  const server = new X509Certificate(readFileSync(join(certs, 'server.crt')));
  const tenDaysBefore = Date.parse(server.validTo) - 10 * 86_400_000;
  const soon = problems(await runDoctor(env, {}, tenDaysBefore)).filter((p) => p.area === 'certificates');
  expect(soon).toEqual([{ area: 'certificates', subject: join(certs, 'server.crt'), detail: expect.stringMatching(/^expires on \S+, in 10 days \(less than 30\)$/), fix: expect.stringMatching(/^master-gateway certs server --out \S+ .*--dns localhost/) }]);

  const other = join(root, 'other');
  expect(cli(['certs', 'init', '--out', other, '--key', 'ec', '--data-dir', join(root, 'other-data')], env).status).toBe(0);
  const foreign = join(root, 'foreign-certs');
  mkdirSync(foreign, { mode: 0o700 });
  for (const f of ['server.crt', 'server_key.pem']) copyFileSync(join(certs, f), join(foreign, f));
  copyFileSync(join(other, 'ca.crt'), join(foreign, 'ca.crt'));
  const found = problems(await runDoctor({ ...env, GATEWAY_CERT_DIR: foreign, GATEWAY_SERVER_NAMES: 'gw.example.com' }, {}));
  expect(found.map((p) => p.detail)).toEqual([expect.stringMatching(/^wrong CA/), expect.stringMatching(/lacks the name gw\.example\.com/)]);
});

it('a running gateway holds its own ports: reported as running, all well', async () => {
  const gateway = await serve({ ...env, GATEWAY_GRPC_PORT: env.GATEWAY_GRPC_PORT, GATEWAY_HTTP_PORT: env.GATEWAY_HTTP_PORT });
  try {
    const r = doctor();
    expect(problems(r.findings)).toEqual([]);
    expect(r.findings.filter((f) => f.area === 'ports').map((f) => f.detail)).toEqual(['held by this gateway (it is running)', 'held by this gateway (it is running)']);
    expect(r.status).toBe(0);
  } finally {
    expect(await gateway.stop()).toBe(0);
  }
});

it('no store in the data directory and a configuration that does not load: said, with the command that fixes it', () => {
  const empty = join(root, 'empty-data');
  mkdirSync(empty, { mode: 0o700 });
  const r = doctor({ GATEWAY_DATA_DIR: empty });
  expect(problems(r.findings)).toEqual([{ area: 'store', subject: join(empty, 'gateway.db'), detail: 'does not exist', fix: expect.stringMatching(/^master-gateway store init --data-dir /) }]);
  expect(r.status).toBe(1);
  const bad = doctor({ GATEWAY_GRPC_PORT: 'many' });
  expect(bad).toMatchObject({ status: 1, ok: false, findings: [{ area: 'config', ok: false, detail: expect.stringMatching(/GATEWAY_GRPC_PORT/) }] });
});

it('a store at an older schema version: reported with the version the gateway will migrate it to, and left as it was', () => {
  const old = join(root, 'old-data');
  mkdirSync(old, { mode: 0o700 });
  const file = join(old, 'gateway.db');
  closeSync(openSync(file, 'a', 0o600));
  const db = new Database(file);
  for (const m of MIGRATIONS.filter((m) => m.version <= 8)) {
    db.exec(m.sql);
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
  }
  db.close();
  const digest = () => createHash('sha256').update(readFileSync(file)).digest('hex');
  const before = digest();
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));

  const r = doctor({ GATEWAY_DATA_DIR: old });
  expect(problems(r.findings)).toEqual([]);
  expect(r.findings).toContainEqual({ area: 'store', subject: file, ok: true, detail: `answers (1 tenant); schema at version 8, the gateway will migrate it to ${latest} on start` });
  expect(r.status).toBe(0);
  // Nothing migrated: the same bytes, and no journal left beside them.
  expect(digest()).toBe(before);
  expect(readdirSync(old)).toEqual(['gateway.db']);
  const after = new Database(file, { readonly: true });
  expect(after.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: 8 });
  after.close();
});

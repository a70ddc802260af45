/**
 * Nothing is made afresh where something may have been lost: a dev PKI only in the default,
 * empty ./certs (or when asked), and the administration commands never make an empty database.
 * Each refusal exits 2, names the path and the command that makes what is missing, and writes nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, cli } from '../support/cli';
import { createSchemas, describePostgres, urlWithSchema } from '../unit/store/postgres-test-database';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mgw-closed-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const PORTS = { GATEWAY_GRPC_HOST: '127.0.0.1', GATEWAY_GRPC_PORT: '0', GATEWAY_HTTP_HOST: '127.0.0.1', GATEWAY_HTTP_PORT: '0', GATEWAY_OPS_PORT: '0' };

/** `serve` run in `cwd` (so ./certs and ./data are the defaults) until it serves (then SIGTERM) or exits. */
function serveIn(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; served: boolean; output: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd, env: { PATH: process.env.PATH, ...PORTS, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let served = false;
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    // With workers, wait for a worker's line (the primary made the PKI before forking).
    if (!served && /"msg":"master gateway serving"/.test(output)) {
      served = true;
      child.kill('SIGTERM');
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, served, output })));
}

describe('serve and the dev PKI', () => {
  it('makes the dev PKI in the default ./certs and the database in ./data with no flag or variable (npm start on a fresh clone)', async () => {
    const r = await serveIn(root, []);
    expect(r).toMatchObject({ served: true, code: 0 });
    expect(r.output).toMatch(/created a development PKI/);
    expect(readdirSync(join(root, 'certs')).sort()).toEqual(['admin.crt', 'admin_key.pem', 'ca.crt', 'ca_key.pem', 'server.crt', 'server_key.pem', 'system_secrets']);
    expect(existsSync(join(root, 'data', 'gateway.db'))).toBe(true);
  });

  it('also with --workers: the primary makes the dev PKI once', async () => {
    const r = await serveIn(root, ['--workers', '2']);
    expect(r).toMatchObject({ served: true, code: 0 });
    expect(r.output.match(/created a development PKI/g)).toHaveLength(1);
    expect(existsSync(join(root, 'certs', 'ca.crt'))).toBe(true);
  });

  it.each([[[]], [['--workers', '2']]])('exits 2 on a GATEWAY_CERT_DIR without ca.crt (args %j), naming it and the commands, making nothing', async (args) => {
    const typo = join(root, 'cerst');
    const r = await serveIn(root, args, { GATEWAY_CERT_DIR: typo, GATEWAY_DATA_DIR: join(root, 'data') });
    expect(r).toMatchObject({ served: false, code: 2 });
    expect(r.output).toContain(join(typo, 'ca.crt'));
    expect(r.output).toContain(`master-gateway certs init --out ${typo}`);
    expect(r.output).toContain('serve --dev-pki');
    expect(existsSync(typo)).toBe(false);
    expect(existsSync(join(root, 'data'))).toBe(false);
  });

  it('exits 2 when the default ./certs holds certificates but no CA (a CA lost, not a first start)', async () => {
    mkdirSync(join(root, 'certs'));
    writeFileSync(join(root, 'certs', 'tenant_acme.crt'), 'left over');
    const r = await serveIn(root, []);
    expect(r).toMatchObject({ served: false, code: 2 });
    expect(r.output).toMatch(/holds certificates or keys but no ca\.crt/);
    expect(existsSync(join(root, 'certs', 'ca.crt'))).toBe(false);
  });

  it('exits 2 when the default ./certs lost its PKI but the database remembers its CA; --dev-pki replaces it', async () => {
    expect(await serveIn(root, [])).toMatchObject({ served: true, code: 0 });
    // The PKI files go; the system secret (which opens the stored keys) stays.
    for (const f of readdirSync(join(root, 'certs'))) if (f !== 'system_secrets') rmSync(join(root, 'certs', f));
    const r = await serveIn(root, []);
    expect(r).toMatchObject({ served: false, code: 2 });
    expect(r.output).toMatch(/the database records CA serial \d+/);
    expect(existsSync(join(root, 'certs', 'ca.crt'))).toBe(false);
    expect(await serveIn(root, ['--dev-pki'])).toMatchObject({ served: true, code: 0 });
  });

  it('exits 2 when ./certs was emptied with its system secret: --dev-pki makes no new secret over encrypted keys', async () => {
    expect(await serveIn(root, [])).toMatchObject({ served: true, code: 0 });
    rmSync(join(root, 'certs'), { recursive: true });
    const r = await serveIn(root, ['--dev-pki']);
    expect(r).toMatchObject({ served: false, code: 2 });
    expect(existsSync(join(root, 'certs', 'system_secrets'))).toBe(false);
  });

  it.each([
    ['--dev-pki', ['--dev-pki'], {}],
    ['GATEWAY_DEV_PKI=true', [], { GATEWAY_DEV_PKI: 'true' }],
  ])('makes a dev PKI in any directory when asked (%s)', async (_how, args, env) => {
    const dir = join(root, 'elsewhere');
    const r = await serveIn(root, args, { GATEWAY_CERT_DIR: dir, GATEWAY_DATA_DIR: join(root, 'data'), ...env });
    expect(r).toMatchObject({ served: true, code: 0 });
    expect(existsSync(join(dir, 'ca.crt'))).toBe(true);
  });

  it('refuses a GATEWAY_DEV_PKI that is not a boolean, with the other configuration problems', () => {
    const r = cli(['serve'], { ...PORTS, GATEWAY_DEV_PKI: 'sure', GATEWAY_CERT_DIR: join(root, 'certs'), GATEWAY_DATA_DIR: join(root, 'data') });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/GATEWAY_DEV_PKI must be true or false/);
  });
});

describe('store commands on a data directory with no database', () => {
  const missing = () => join(root, 'dtaa');

  it.each([
    ['tenant', 'list'],
    ['tenant', 'add', 'acme'],
    ['gateway', 'list'],
    ['certs', 'list'],
    ['certs', 'blacklist', '1234', '--tenant', 'acme'],
    ['user', 'list'],
    ['role', 'list'],
    ['keys', 'list'],
    ['keys', 'rotate'],
  ])('%s %s exits 2 naming the path and how to make one, and makes nothing', (...args) => {
    const r = cli([...args, '--data-dir', missing()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(join(missing(), 'gateway.db'));
    expect(r.stderr).toContain(`master-gateway store init --data-dir ${missing()}`);
    expect(existsSync(missing())).toBe(false);
  });

  it('GATEWAY_DATA_DIR likewise', () => {
    const r = cli(['tenant', 'list'], { GATEWAY_DATA_DIR: missing() });
    expect(r.status).toBe(2);
    expect(existsSync(missing())).toBe(false);
  });

  it('certs tenant refuses before writing any file', () => {
    const certs = join(root, 'certs');
    expect(cli(['certs', 'init', '--out', certs, '--data-dir', join(root, 'data')]).status).toBe(0);
    const r = cli(['certs', 'tenant', 'acme', '--out', certs, '--data-dir', missing()]);
    expect(r.status).toBe(2);
    expect(existsSync(join(certs, 'tenant_acme.crt'))).toBe(false);
    expect(existsSync(missing())).toBe(false);
  });

  it('store init makes one (and says so), after which the commands work; a second init changes nothing', () => {
    const made = cli(['store', 'init', '--data-dir', missing()]);
    expect(made.status).toBe(0);
    expect(made.stdout).toContain(`created ${join(missing(), 'gateway.db')}`);
    expect(cli(['tenant', 'add', 'acme', '--data-dir', missing()]).status).toBe(0);
    const again = cli(['store', 'init', '--data-dir', missing()]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/is ready/);
    expect(cli(['tenant', 'list', '--json', '--data-dir', missing()]).stdout).toContain('acme');
  });

  it('certs init, which starts a deployment, makes the database that records the issuance', () => {
    const data = join(root, 'data');
    expect(cli(['certs', 'init', '--out', join(root, 'certs'), '--data-dir', data]).status).toBe(0);
    expect(JSON.parse(cli(['certs', 'list', '--json', '--data-dir', data]).stdout)).toHaveLength(3);
  });
});

describePostgres('store commands on PostgreSQL', () => {
  const schemas = createSchemas();
  afterAll(() => schemas.end());

  it('need no data directory: the tables are migrated on open', async () => {
    const env = { GATEWAY_DATABASE_URL: urlWithSchema(await schemas.fresh()), GATEWAY_DATA_DIR: join(root, 'nothing-here') };
    expect(cli(['tenant', 'add', 'acme'], env).status).toBe(0);
    expect(cli(['tenant', 'list', '--json'], env).stdout).toContain('acme');
    expect(existsSync(join(root, 'nothing-here'))).toBe(false);
  });
});

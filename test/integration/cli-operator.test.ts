/** Issue 12 §6: the CLI as an operator meets it (version, help, usage errors, JSON shapes, refusals in words). */
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, cli, serve } from '../support/cli';

const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

let root: string;
let certs: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mgw-cliops-'));
  certs = join(root, 'certs');
  env = { GATEWAY_CERT_DIR: certs, GATEWAY_DATA_DIR: join(root, 'data') };
  expect(cli(['certs', 'init', '--out', certs], env).status).toBe(0);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('version and help', () => {
  it('--version and -V print the package.json version and exit 0', () => {
    for (const flag of ['--version', '-V']) expect(cli([flag], env)).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('the serve start-up line names the version', async () => {
    const server = await serve({ ...env, GATEWAY_HTTP_PORT: '-1' });
    try {
      const line = server.output().split('\n').find((l) => l.includes('"msg":"master gateway serving"'))!;
      expect(JSON.parse(line).version).toBe(VERSION);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('every command of role has a description in the help', () => {
    const help = cli(['role', '--help'], env).stdout;
    for (const name of ['set', 'list', 'delete']) expect(help).toMatch(new RegExp(`^  ${name} .*\\S\\s{2,}\\S+`, 'm'));
    expect(help).toMatch(/list \[options\]\s+list roles/);
  });
});

describe('usage errors', () => {
  it('an unknown option is reported as unknown, with the command\'s help pointer, exit 2, and nothing done', () => {
    for (const args of [['tenant', 'list', '--bogus'], ['tenant', 'add', 'made', '--bogus'], ['certs', 'show', 'x.crt', '--bogus'], ['--bogus']]) {
      const r = cli(args, env);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^error: unknown option '--bogus'/);
      expect(r.stdout).toBe('');
    }
    expect(cli(['tenant', 'add', 'made', '--bogus'], env).stderr).toMatch(/see master-gateway tenant add --help/);
    expect(cli(['tenant', 'list', '--json'], env).stdout).not.toMatch(/made/);
    expect(cli(['tenant', 'list', '--jsn'], env).stderr).toMatch(/Did you mean --json\?/);
  });

  it('an unknown command, a missing argument and a bad choice are usage errors too (2); help is 0', () => {
    expect(cli(['tenat'], env)).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown command 'tenat'/) });
    expect(cli(['gateway', 'add', 'acme'], env)).toMatchObject({ status: 2, stderr: expect.stringMatching(/missing required argument/) });
    expect(cli(['certs', 'init', '--out', join(root, 'x'), '--key', 'dsa'], env).status).toBe(2);
    expect(cli(['tenant', 'list', '--help'], env).status).toBe(0);
  });

  it('a failed command ends its error line with the stable error code (exit 1)', () => {
    expect(cli(['gateway', 'delete', 'nobody', 'gw-1'], env)).toMatchObject({ status: 1, stderr: 'error: unknown tenant: nobody (ERR_TENANT_NOT_FOUND)\n' });
  });
});

describe('certs show on what is not a certificate', () => {
  const keyLines = () => readFileSync(join(certs, 'admin_key.pem'), 'utf8').split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));

  it('a private key (PEM or DER) is named as such, and nothing of it is printed (exit 1, ERR_INVALID_CERTIFICATE)', () => {
    const der = join(root, 'admin_key.der');
    writeFileSync(der, createPrivateKey(readFileSync(join(certs, 'admin_key.pem'))).export({ format: 'der', type: 'pkcs8' }));
    for (const file of [join(certs, 'admin_key.pem'), der]) {
      for (const json of [[], ['--json']]) {
        const r = cli(['certs', 'show', file, ...json], env);
        expect(r).toMatchObject({ status: 1, stdout: '', stderr: `error: ${file} is a private key, not a certificate (nothing of it is shown; name the .crt file) (ERR_INVALID_CERTIFICATE)\n` });
        for (const line of keyLines()) expect(r.stderr).not.toContain(line);
      }
    }
  });

  it('a missing file, a directory, garbage, an empty file, a CSR-like PEM and a bad --ca say so in words with a code', () => {
    const garbage = join(root, 'garbage.crt');
    writeFileSync(garbage, 'not a certificate at all\n');
    const empty = join(root, 'empty.crt');
    writeFileSync(empty, '');
    const csr = join(root, 'request.csr');
    writeFileSync(csr, '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n');
    const dir = join(root, 'a-dir');
    mkdirSync(dir);
    const cases: [string[], RegExp][] = [
      [[join(root, 'missing.crt')], /^error: no such file: .*missing\.crt \(ERR_FILE_NOT_FOUND\)\n$/],
      [[dir], /is a directory, not a certificate file \(ERR_INVALID_ARGUMENT\)\n$/],
      [[garbage], /garbage\.crt is not a readable X\.509 certificate .*\(ERR_INVALID_CERTIFICATE\)\n$/],
      [[empty], /empty\.crt is empty, not a certificate \(ERR_INVALID_CERTIFICATE\)\n$/],
      [[csr], /request\.csr holds a certificate request, not a certificate \(ERR_INVALID_CERTIFICATE\)\n$/],
      [[join(certs, 'admin.crt'), '--ca', join(certs, 'ca_key.pem')], /ca_key\.pem is a private key, not a certificate .*\(ERR_INVALID_CERTIFICATE\)\n$/],
    ];
    for (const [args, stderr] of cases) {
      const r = cli(['certs', 'show', ...args], env);
      expect({ args, ...r }).toMatchObject({ args, status: 1, stdout: '', stderr: expect.stringMatching(stderr) });
      expect(r.stderr).not.toMatch(/PEM routines|ENOENT|error:[0-9A-F]{8}/);
    }
  });
});

describe('--json output', () => {
  const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
  /** Every time-like field of every record, and every yes/no-like field. */
  const fields = (value: unknown, key = ''): [string, unknown][] =>
    Array.isArray(value) ? value.flatMap((v) => fields(v, key)) : value && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => fields(v, k)) : [[key, value]];
  const json = (args: string[], input?: string) => {
    const r = cli([...args, '--json'], { ...env, GATEWAY_PASSWORD_MEMORY_KIB: '1024', GATEWAY_PASSWORD_TIME_COST: '1' }, input);
    expect({ args, stderr: r.stderr, status: r.status }).toEqual({ args, stderr: '', status: 0 });
    return JSON.parse(r.stdout) as unknown;
  };

  it('every time is an ISO 8601 string (or null when none is recorded) and every flag a JSON boolean, in every list', () => {
    expect(cli(['tenant', 'add', 'jsonco', '--gateway', 'json-gw'], env).status).toBe(0);
    expect(cli(['user', 'add', 'jason', '--tenant', 'jsonco'], { ...env, GATEWAY_PASSWORD_MEMORY_KIB: '1024', GATEWAY_PASSWORD_TIME_COST: '1' }, 'jason password\n').status).toBe(0);
    expect(cli(['role', 'set', 'viewer', '--permission', 'Devices=view'], env).status).toBe(0);
    for (let i = 0; i < 2; i++) expect(cli(['keys', 'rotate'], env).status).toBe(0);
    const outputs = {
      tenants: json(['tenant', 'list']),
      gateways: json(['gateway', 'list']),
      certificates: json(['certs', 'list']),
      shown: json(['certs', 'show', join(certs, 'server.crt')]),
      users: json(['user', 'list']),
      roles: json(['role', 'list']),
      keys: json(['keys', 'list']),
    };
    const all = fields(outputs);
    const times = all.filter(([k]) => /(At|^created|^not(Before|After))$/.test(k));
    expect(times.length).toBeGreaterThanOrEqual(12);
    for (const [k, v] of times) expect({ k, v }).toEqual({ k, v: v === null ? null : expect.stringMatching(ISO) });
    for (const [k, v] of all) expect({ k, v }).not.toEqual({ k, v: expect.stringMatching(/^(yes|no|true|false|none)$/) });

    const keys = outputs.keys as { alg: string; signing: unknown; encryptedWith: unknown }[];
    const signing = keys.filter((k) => k.alg === 'ES256').map((k) => k.signing);
    expect([signing.at(-1), new Set(signing.slice(0, -1))]).toEqual([true, new Set([false])]);
    expect(keys.every((k) => typeof k.encryptedWith === 'string')).toBe(true);
    const roles = outputs.roles as { name: string; createdAt: string | null }[];
    expect(roles.find((r) => r.name === 'user')!.createdAt).toBeNull();
    expect(Date.now() - Date.parse(roles.find((r) => r.name === 'viewer')!.createdAt!)).toBeLessThan(600_000);
    const certificate = (outputs.certificates as { kind: string; issuedAt: string; expiresAt: string; blacklisted: unknown }[]).find((c) => c.kind === 'server')!;
    expect(certificate.blacklisted).toBe(false);
    expect(certificate.expiresAt).toBe((outputs.shown as { notAfter: string }).notAfter);
  });

  it('the tables keep their short forms', () => {
    expect(cli(['keys', 'list'], env).stdout).toMatch(/^KID\s+ALG\s+CREATED\s+SIGNING\s+ENCRYPTEDWITH\n(.*\s(yes|no)\s.*\n)+$/);
    expect(cli(['certs', 'list'], env).stdout).toMatch(/\s\d{4}-\d{2}-\d{2}\s+\d{4}-\d{2}-\d{2}\s+no\n/);
  });
});

describe('gateway delete', () => {
  it('a gateway of another tenant: the operator is told whose it is, and nothing is unregistered (ERR_GATEWAY_NOT_FOUND)', () => {
    expect(cli(['tenant', 'add', 'owner-co', '--gateway', 'owned-gw'], env).status).toBe(0);
    expect(cli(['tenant', 'add', 'other-co', '--gateway', 'other-gw'], env).status).toBe(0);
    const r = cli(['gateway', 'delete', 'other-co', 'other-gw', 'owned-gw'], env);
    expect(r).toMatchObject({ status: 1, stdout: '', stderr: 'error: gateway owned-gw belongs to tenant owner-co, not to other-co: nothing was unregistered (ERR_GATEWAY_NOT_FOUND)\n' });
    const left = JSON.parse(cli(['gateway', 'list', '--json'], env).stdout) as { gatewayId: string }[];
    expect(left.map((g) => g.gatewayId)).toEqual(expect.arrayContaining(['owned-gw', 'other-gw']));
    // A gateway nobody has is still just unknown.
    expect(cli(['gateway', 'delete', 'other-co', 'nobodys-gw'], env).stderr).toMatch(/nobodys-gw does not exist \(ERR_GATEWAY_NOT_FOUND\)/);
  });
});

describe('tenant delete', () => {
  const tenants = () => (JSON.parse(cli(['tenant', 'list', '--json'], env).stdout) as { tenantId: string }[]).map((t) => t.tenantId);
  /** The CLI on a real pseudo-terminal (util-linux `script`), the answer typed on it. */
  const onTerminal = (args: string[], typed: string) => {
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const r = spawnSync('script', ['-qec', [process.execPath, BIN, ...args].map(quote).join(' '), '/dev/null'], { env: { PATH: process.env.PATH, ...env }, input: typed, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, output: r.stdout };
  };
  const hasScript = spawnSync('script', ['--version']).status === 0;

  it('without a terminal and without --yes it refuses, changing nothing (exit 2); --yes deletes', () => {
    expect(cli(['tenant', 'add', 'doomed', '--gateway', 'doomed-gw'], env).status).toBe(0);
    const r = cli(['tenant', 'delete', 'doomed'], env, 'y\n');
    expect(r).toMatchObject({ status: 2, stdout: '', stderr: expect.stringMatching(/^error: tenant delete asks for confirmation, but stdin is not a terminal: add --yes/) });
    expect(tenants()).toContain('doomed');
    expect(cli(['tenant', 'delete', 'doomed', '--yes'], env)).toMatchObject({ status: 0, stdout: 'deleted tenant doomed\n' });
    expect(tenants()).not.toContain('doomed');
  });

  (hasScript ? it : it.skip)('on a terminal it asks, naming what goes; only yes deletes', () => {
    expect(cli(['tenant', 'add', 'asked', '--gateway', 'asked-gw'], env).status).toBe(0);
    const declined = onTerminal(['tenant', 'delete', 'asked'], 'n\n');
    expect(declined.output).toMatch(/Delete tenant asked and its 1 gateway registration\? Its certificates are blacklisted and its tokens stop working\. \[y\/N\]/);
    expect(declined.output).toMatch(/tenant asked not deleted/);
    expect(declined.status).toBe(1);
    expect(tenants()).toContain('asked');
    const accepted = onTerminal(['tenant', 'delete', 'asked'], 'y\n');
    expect(accepted.output).toMatch(/deleted tenant asked/);
    expect(accepted.status).toBe(0);
    expect(tenants()).not.toContain('asked');
  });
});

/** Issue 12 §6: the CLI as an operator meets it (version, help, usage errors, JSON shapes, refusals in words). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, serve } from '../support/cli';

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

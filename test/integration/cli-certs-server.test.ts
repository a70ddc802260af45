/**
 * `certs server` renews the server certificate under the same CA, and a running `serve` takes it on
 * SIGHUP (or by itself) without exiting; clients holding the old ca.crt go on verifying it.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { cli, serve, ServeProcess } from '../support/cli';
import { closeAllClients, loginClient, unary } from '../support/clients';

let root: string;
let certs: string;
let env: NodeJS.ProcessEnv;
let server: ServeProcess | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mgw-renew-'));
  certs = join(root, 'certs');
  env = { GATEWAY_CERT_DIR: certs, GATEWAY_DATA_DIR: join(root, 'data'), GATEWAY_LOG_LEVEL: 'info' };
  expect(cli(['certs', 'init', '--out', certs, '--dns', 'gw.example.com', '--key', 'ec'], env).status).toBe(0);
});

afterAll(async () => {
  closeAllClients();
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

const read = (name: string) => readFileSync(join(certs, name), 'utf8');
const pair = (base: string) => ({ certPem: read(`${base}.crt`), keyPem: read(`${base}_key.pem`) });

function servedSerial(port: number, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost', ...{ cert: pair('admin').certPem, key: pair('admin').keyPem }, ALPNProtocols: ['h2'] }, () => {
      resolve(socket.getPeerX509Certificate()?.serialNumber ?? '');
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('certs server', () => {
  it('refuses a directory with no CA and writes nothing: it never makes a CA', () => {
    const empty = join(root, 'empty');
    const r = cli(['certs', 'server', '--out', empty], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ca\.crt does not exist/);
    expect(existsSync(join(empty, 'server.crt'))).toBe(false);
  });

  it('renews under the same CA, keeping the names of the certificate it replaces; SIGHUP on a running serve reloads it and does not exit', async () => {
    const caPem = read('ca.crt');
    server = await serve(env);
    const before = new X509Certificate(read('server.crt'));
    expect(await servedSerial(server.port, caPem)).toBe(before.serialNumber);
    const client = loginClient(`localhost:${server.port}`, caPem, pair('admin'));
    await unary(client, 'login', { tenantCert: pair('admin').certPem });

    server.signal('SIGHUP');
    await until(() => /"trigger":"SIGHUP".*nothing to reload/.test(server!.output()));
    expect(server.running()).toBe(true);

    const r = cli(['certs', 'server', '--out', certs, '--dns', 'gw2.example.com', '--days', '10'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const after = new X509Certificate(read('server.crt'));
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(read('ca.crt')).toBe(caPem);
    expect(after.checkIssued(new X509Certificate(caPem))).toBe(true);
    for (const host of ['localhost', 'gw.example.com', 'gw2.example.com']) expect(after.checkHost(host)).toBe(host);
    expect(statSync(join(certs, 'server_key.pem')).mode & 0o777).toBe(0o600);
    expect(r.stdout).toMatch(new RegExp(`serial ${BigInt(`0x${after.serialNumber}`)}`));

    server.signal('SIGHUP');
    await until(async () => (await servedSerial(server!.port, caPem)) === after.serialNumber);
    // The log is written asynchronously: wait for the lines rather than expecting them at once.
    await until(() => /TLS certificate reloaded/.test(server!.output()) && /"code":"CERT_EXPIRES_SOON".*"role":"server"/.test(server!.output()));
    expect(server.running()).toBe(true);
    // The connection made before the renewal answers; a new one verifies the renewed certificate with the old ca.crt.
    await unary(client, 'login', { tenantCert: pair('admin').certPem });
    await unary(loginClient(`localhost:${server.port}`, caPem, pair('admin')), 'login', { tenantCert: pair('admin').certPem });

    const show = cli(['certs', 'show', join(certs, 'server.crt')], env);
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(/\(9 days left\)/);
    expect(show.stdout).toMatch(/WARNING +expires in 9 days/);
    expect(await server.stop()).toBe(0);
    server = undefined;
  });
});

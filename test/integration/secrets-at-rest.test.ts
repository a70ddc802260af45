/**
 * Secrets at rest: private directories and database files (checked at start, exit 2), signing keys
 * and HMAC secrets encrypted under the system secret, old plaintext data encrypted on first start,
 * and a missing or wrong secret that stops the start instead of making new keys.
 */
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { keyIdOf } from '../../src/core/key-ring';
import { createSecretBox, isSealed } from '../../src/core/secret-box';
import { LoginResponse } from '../../src/gen/gsdk/login/login';
import { initPki } from '../../src/pki/cert-dir';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store';
import { Store } from '../../src/store/store';
import { loadSecretBox } from '../../src/system-secrets';
import { cli, serve } from '../support/cli';
import { closeAllClients, loginClient, unary } from '../support/clients';

let root: string;
let env: Record<string, string>;
const certs = () => join(root, 'certs');
const data = () => join(root, 'data');
const db = () => join(data(), 'gateway.db');
const secretsFile = () => join(certs(), 'system_secrets');
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);
const PEM_HEADER = ['PRIVATE', 'KEY-----'].join(' ');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mgw-secrets-'));
  env = { GATEWAY_CERT_DIR: certs(), GATEWAY_DATA_DIR: data(), GATEWAY_DEV_PKI: 'true' };
});
afterEach(() => {
  closeAllClients();
  rmSync(root, { recursive: true, force: true });
});

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const store = openSqliteStore(db(), { pollMs: 0 });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Serves once, logs in once (so the WAL has been written), stops. */
async function serveOnce(extra: Record<string, string> = {}): Promise<string> {
  const server = await serve({ ...env, ...extra });
  const admin = { certPem: readFileSync(join(certs(), 'admin.crt'), 'utf8'), keyPem: readFileSync(join(certs(), 'admin_key.pem'), 'utf8') };
  const client = loginClient(`localhost:${server.port}`, readFileSync(join(certs(), 'ca.crt'), 'utf8'), admin);
  expect((await unary<LoginResponse>(client, 'login', { tenantCert: admin.certPem })).jwtToken).toMatch(/^ey/);
  closeAllClients();
  expect(await server.stop()).toBe(0);
  return server.output();
}

it('a fresh start makes 0700 directories, 0600 database files (side files too) and system secret, and stores keys encrypted', async () => {
  const server = await serve(env);
  try {
    const admin = { certPem: readFileSync(join(certs(), 'admin.crt'), 'utf8'), keyPem: readFileSync(join(certs(), 'admin_key.pem'), 'utf8') };
    const client = loginClient(`localhost:${server.port}`, readFileSync(join(certs(), 'ca.crt'), 'utf8'), admin);
    await unary<LoginResponse>(client, 'login', { tenantCert: admin.certPem });
    // While serving, the WAL and shared-memory files exist.
    expect({ certs: modeOf(certs()), data: modeOf(data()), db: modeOf(db()), wal: modeOf(`${db()}-wal`), shm: modeOf(`${db()}-shm`), secret: modeOf(secretsFile()) }).toEqual({
      certs: '700',
      data: '700',
      db: '600',
      wal: '600',
      shm: '600',
      secret: '600',
    });
    for (const file of [db(), `${db()}-wal`]) expect(readFileSync(file).includes(PEM_HEADER)).toBe(false);
  } finally {
    closeAllClients();
    expect(await server.stop()).toBe(0);
  }
  const records = await withStore((s) => s.listSigningKeys());
  expect(records.map((r) => r.alg).sort()).toEqual(['ES256', 'HS256', 'HS256']);
  expect(records.every((r) => isSealed(r.privateKeyPem))).toBe(true);
});

it.each([
  ['a 0755 data directory', () => chmodSync(data(), 0o755), () => data(), 'chmod 700'],
  ['a 0644 database file', () => chmodSync(db(), 0o644), () => db(), 'chmod 600'],
  ['a 0644 WAL file', () => writeFileSync(`${db()}-wal`, '', { mode: 0o644 }), () => `${db()}-wal`, 'chmod 600'],
  ['a 0755 certificate directory', () => chmodSync(certs(), 0o755), () => certs(), 'chmod 700'],
  ['a group-readable system secret file', () => chmodSync(secretsFile(), 0o640), () => secretsFile(), 'chmod 600'],
])('refuses to start with %s: exit 2, naming the path and the fix', async (_what, loosen, path, fix) => {
  await serveOnce();
  loosen();
  const r = cli(['serve'], { ...env, GATEWAY_GRPC_PORT: '0', GATEWAY_HTTP_PORT: '-1' });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(`${fix} ${path()}`);
});

it('a data directory from before encryption at rest is encrypted at its first start; its key keeps its kid', async () => {
  mkdirSync(data(), { mode: 0o700 });
  initPki(certs());
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const kid = keyIdOf(publicKey);
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await withStore((s) => s.addSigningKey({ kid, alg: 'ES256', privateKeyPem: pem, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), createdAt: 1 }));
  const output = await serveOnce();
  expect(output).toMatch(/encrypted signing keys stored in plaintext/);
  const records = await withStore((s) => s.listSigningKeys());
  expect(records.find((r) => r.alg === 'ES256')).toMatchObject({ kid, privateKeyPem: expect.stringMatching(/^enc:v1:/) });
  expect(records.every((r) => isSealed(r.privateKeyPem))).toBe(true);
  // The plaintext is not left behind in the database or WAL file either.
  const body = pem.split('\n')[1];
  for (const file of [db(), `${db()}-wal`]) if (existsSync(file)) expect(readFileSync(file).includes(body)).toBe(false);
});

it('a missing, wrong or tampered secret stops the start with exit 2 and the fix, and makes no new key', async () => {
  await serveOnce();
  const before = await withStore((s) => s.listSigningKeys());
  const secret = readFileSync(secretsFile(), 'utf8');
  const start = (extra: Record<string, string> = {}) => cli(['serve'], { ...env, GATEWAY_GRPC_PORT: '0', GATEWAY_HTTP_PORT: '-1', ...extra });

  unlinkSync(secretsFile());
  const missing = start();
  expect(missing.status).toBe(2);
  expect(missing.stderr).toMatch(/system_secrets is missing: restore it/);
  expect(existsSync(secretsFile())).toBe(false);

  const wrong = start({ GATEWAY_SECRETS: 'another-secret-of-32-characters-or-more' });
  expect(wrong.status).toBe(2);
  expect(wrong.stderr + wrong.stdout).not.toContain('another-secret-of-32-characters-or-more');
  expect(wrong.stderr).toMatch(/give the system secret they were encrypted with in GATEWAY_SECRETS or GATEWAY_SECRETS_FILE/);

  writeFileSync(secretsFile(), secret, { mode: 0o600 });
  await withStore(async (s) => {
    const key = before.find((r) => r.alg === 'ES256')!;
    const tampered = key.privateKeyPem.slice(0, -4) + (key.privateKeyPem.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(await s.replaceSigningKey(key.kid, key.privateKeyPem, { ...key, privateKeyPem: tampered })).toBe(true);
  });
  const altered = start();
  expect(altered.status).toBe(2);
  expect(altered.stderr).toMatch(/does not decrypt/);
  expect((await withStore((s) => s.listSigningKeys())).map((r) => r.kid)).toEqual(before.map((r) => r.kid));
});

it('secret rotation: a new secret first, keys reencrypt, then the old one can go', async () => {
  expect(await serveOnce()).not.toContain(readFileSync(secretsFile(), 'utf8').trim());
  const old = readFileSync(secretsFile(), 'utf8').trim();
  const next = 'a-new-system-secret-of-at-least-32-chars';
  const both = { ...env, GATEWAY_SECRETS: `${next},${old}` };
  const r = cli(['keys', 'reencrypt'], both);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/re-encrypted 3 key\(s\) under system secret (\S+)/);
  const nextId = createSecretBox([next]).primaryId;
  const listed = JSON.parse(cli(['keys', 'list', '--json'], { ...env, GATEWAY_SECRETS: next }).stdout) as { encryptedWith: string }[];
  expect(listed.map((k) => k.encryptedWith)).toEqual([nextId, nextId, nextId]);
  // The old secret alone no longer opens them; the new one serves.
  expect(cli(['keys', 'list'], env).status).toBe(2);
  const output = await serveOnce({ GATEWAY_SECRETS: next });
  // Neither secret is ever written to the log.
  expect(output).not.toContain(next);
  expect(output).not.toContain(old);
});

it('the PostgreSQL backend needs the secret given explicitly', async () => {
  const config = loadConfig({}, { certDir: certs(), dataDir: data(), databaseUrl: 'postgres://u:p@127.0.0.1:1/db' });
  await expect(loadSecretBox(config, {} as Store)).rejects.toMatchObject({ code: 'ERR_SECRET_MISSING', message: expect.stringMatching(/GATEWAY_SECRETS/) });
  expect(existsSync(secretsFile())).toBe(false);
});

/** The CLI end to end: issue a PKI, register a tenant, serve on it, log in with a G-SDK-style client. */
import { PKCS8_FIRST_LINE } from '../support/pki';
import { status } from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoginAdminResponse, LoginResponse } from '../../src/gen/gsdk/login/login';
import { issueLeaf } from '../../src/pki/authority';
import { readAuthority } from '../../src/pki/cert-dir';
import { openStore } from '../../src/store/open-store';
import { cli, serve } from '../support/cli';
import { closeAllClients, codeOf, decodeJwt, loginClient, unary } from '../support/clients';

let root: string;
let certs: string;
let data: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mgw-cli-'));
  certs = join(root, 'certs');
  data = join(root, 'data');
  env = { GATEWAY_CERT_DIR: certs, GATEWAY_DATA_DIR: data, GATEWAY_LOG_LEVEL: 'info' };
});

afterAll(() => {
  closeAllClients();
  rmSync(root, { recursive: true, force: true });
});

const read = (name: string) => readFileSync(join(certs, name), 'utf8');

describe('certs', () => {
  it('init writes the CA, server and administrator pairs; the server certificate covers localhost and the names given', () => {
    const r = cli(['certs', 'init', '--out', certs, '--dns', 'gw.example.com', '--ip', '10.0.0.5'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const f of ['ca.crt', 'ca_key.pem', 'server.crt', 'server_key.pem', 'admin.crt', 'admin_key.pem']) expect(existsSync(join(certs, f))).toBe(true);
    expect(statSync(join(certs, 'ca_key.pem')).mode & 0o777).toBe(0o600);
    const server = new X509Certificate(read('server.crt'));
    for (const host of ['localhost', 'gw.example.com']) expect(server.checkHost(host)).toBe(host);
    for (const ip of ['127.0.0.1', '::1', '10.0.0.5']) expect(server.checkIP(ip)).toBeDefined();
    expect(read('admin_key.pem').startsWith(PKCS8_FIRST_LINE)).toBe(true);
  });

  it('init never overwrites without --force', () => {
    const before = read('ca.crt');
    const r = cli(['certs', 'init', '--out', certs], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refusing to overwrite .*ca\.crt.*--force/);
    expect(read('ca.crt')).toBe(before);
  });

  it('tenant and gateway certificates follow the profile; --key ec makes P-256 keys', () => {
    expect(cli(['certs', 'tenant', 'acme', '--out', certs, '--org', 'Acme', '--country', 'KR'], env).status).toBe(0);
    expect(cli(['certs', 'gateway', 'acme', 'gw-1', '--out', certs, '--key', 'ec', '--years', '2'], env).status).toBe(0);
    const tenant = new X509Certificate(read('tenant_acme.crt'));
    expect(tenant.subjectAltName).toBe('email:Tenant Certificate, email:acme');
    expect(tenant.subject).toBe('C=KR\nO=Acme');
    const gateway = new X509Certificate(read('gateway_gw-1.crt'));
    expect(gateway.subjectAltName).toBe('email:Gateway Certificate, email:acme, email:gw-1');
    expect(gateway.publicKey.asymmetricKeyType).toBe('ec');
    const years = (Date.parse(gateway.validTo) - Date.now()) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(1.9);
    expect(years).toBeLessThan(2.1);
  });

  it('rejects bad IDs and options with a message and no files', () => {
    const r = cli(['certs', 'tenant', 'bad id', '--out', certs], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/TENANT_ID may only hold/);
    expect(cli(['certs', 'tenant', 'ok', '--out', certs, '--years', '99'], env).stderr).toMatch(/--years/);
    expect(existsSync(join(certs, 'tenant_ok.crt'))).toBe(false);
  });

  it('show describes a good certificate and exits 0', () => {
    const r = cli(['certs', 'show', join(certs, 'gateway_gw-1.crt')], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/kind\s+gateway/);
    expect(r.stdout).toMatch(/tenant\s+acme/);
    expect(r.stdout).toMatch(/gateway\s+gw-1/);
    expect(r.stdout).toMatch(/OK/);
  });

  it('show says plainly what is wrong: expired, wrong CA, server lacking a name', () => {
    const ca = readAuthority(certs);
    const expired = issueLeaf(ca, { kind: 'tenant', identity: { kind: 'tenant', tenantId: 'acme' } }, {
      notBefore: new Date(Date.now() - 3 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const file = join(root, 'expired.crt');
    writeFileSync(file, expired.certPem);
    const r = cli(['certs', 'show', file, '--ca', join(certs, 'ca.crt'), '--json'], env);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).problems.join('\n')).toMatch(/expired/);

    const other = join(root, 'other');
    cli(['certs', 'init', '--out', other, '--data-dir', join(root, 'other-data')], env);
    const wrong = cli(['certs', 'show', join(certs, 'tenant_acme.crt'), '--ca', join(other, 'ca.crt')], env);
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toMatch(/PROBLEM\s+wrong CA/);

    const lacking = cli(['certs', 'show', join(certs, 'server.crt'), '--name', 'gateway.internal'], env);
    expect(lacking.status).toBe(1);
    expect(lacking.stdout).toMatch(/lacks the name gateway.internal/);
  });

  it('records every issued certificate in the issuance history', async () => {
    const store = await openStore({ dataDir: data, databaseUrl: '' }, { pollMs: 0 });
    const kinds = (await store.listCertificates()).map((c) => c.kind).sort();
    await store.close();
    expect(kinds).toEqual(['admin', 'ca', 'gateway', 'server', 'tenant']);
  });
});

describe('tenant', () => {
  it('add, list (table and --json), delete; administrator can never be deleted', () => {
    expect(cli(['tenant', 'add', 'acme', '--gateway', 'gw-1'], env).status).toBe(0);
    expect(cli(['tenant', 'add', 'globex'], env).status).toBe(0);
    const dup = cli(['tenant', 'add', 'acme'], env);
    expect(dup.status).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);
    const table = cli(['tenant', 'list'], env).stdout;
    expect(table).toMatch(/TENANT\s+GATEWAYS/);
    expect(table).toMatch(/acme\s+gw-1/);
    expect(JSON.parse(cli(['tenant', 'list', '--json'], env).stdout)).toEqual([
      { tenantId: 'acme', gatewayIds: ['gw-1'] },
      { tenantId: 'administrator', gatewayIds: [] },
      { tenantId: 'globex', gatewayIds: [] },
    ]);
    expect(cli(['tenant', 'delete', 'globex', '--yes'], env).status).toBe(0);
    const admin = cli(['tenant', 'delete', 'administrator', '--yes'], env);
    expect(admin.status).toBe(1);
    expect(admin.stderr).toMatch(/never be deleted/);
    expect(cli(['tenant', 'delete', 'globex', '--yes'], env).stderr).toMatch(/unknown tenant: globex/);
  });
});

describe('gateway and certificate records', () => {
  it('gateway add, list (--json, --tenant) and delete', () => {
    expect(cli(['gateway', 'add', 'acme', 'gw-2', 'gw-3'], env).status).toBe(0);
    expect(cli(['gateway', 'add', 'acme', 'gw-4', 'gw-2'], env).stderr).toMatch(/gw-2 is already registered/);
    expect(JSON.parse(cli(['gateway', 'list', '--tenant', 'acme', '--json'], env).stdout)).toEqual([
      { gatewayId: 'gw-1', tenantId: 'acme' },
      { gatewayId: 'gw-2', tenantId: 'acme' },
      { gatewayId: 'gw-3', tenantId: 'acme' },
    ]);
    expect(cli(['gateway', 'delete', 'acme', 'gw-3', 'gw-2'], env).status).toBe(0);
    expect(cli(['gateway', 'list'], env).stdout).toMatch(/GATEWAY\s+TENANT\n(.*\n)*gw-1\s+acme\n$/);
    expect(cli(['gateway', 'delete', 'acme', 'gw-9'], env).status).toBe(1);
  });

  it('gateway add is bound by the configured per-tenant quota, like the Tenant API: a batch past it adds nothing', () => {
    const bound = { ...env, GATEWAY_MAX_GATEWAYS_PER_TENANT: '2' };
    const r = cli(['gateway', 'add', 'acme', 'gw-q1', 'gw-q2'], bound);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/acme/);
    expect(JSON.parse(cli(['gateway', 'list', '--tenant', 'acme', '--json'], env).stdout)).toEqual([{ gatewayId: 'gw-1', tenantId: 'acme' }]);
  });

  it('certs list shows the issuance history as a table or JSON', () => {
    const rows = JSON.parse(cli(['certs', 'list', '--tenant', 'acme', '--json'], env).stdout) as { kind: string; serial: string; blacklisted: boolean }[];
    expect(rows.map((r) => r.kind).sort()).toEqual(['gateway', 'tenant']);
    const serial = new X509Certificate(read('tenant_acme.crt')).serialNumber;
    expect(rows.find((r) => r.kind === 'tenant')!.serial).toBe(BigInt(`0x${serial}`).toString());
    const table = cli(['certs', 'list'], env).stdout;
    expect(table).toMatch(/SERIAL\s+KIND\s+TENANT\s+GATEWAY\s+ISSUED\s+EXPIRES\s+BLACKLISTED/);
    expect(table.trim().split('\n')).toHaveLength(6);
  });

  it('certs blacklist refuses malformed serials and unknown ones without an owner', () => {
    expect(cli(['certs', 'blacklist', 'abc'], env).stderr).toMatch(/SERIAL must be/);
    expect(cli(['certs', 'blacklist', '424242'], env).stderr).toMatch(/--tenant/);
  });
});

describe('serve on the issued PKI', () => {
  it('logs in a tenant registered by the CLI, sees CLI changes live, and exits 0 on SIGTERM', async () => {
    const server = await serve(env);
    try {
      const address = `localhost:${server.port}`;
      const ca = read('ca.crt');
      const acme = { certPem: read('tenant_acme.crt'), keyPem: read('tenant_acme_key.pem') };
      const client = loginClient(address, ca, acme);
      const res = await unary<LoginResponse>(client, 'login', { tenantCert: acme.certPem });
      expect(decodeJwt(res.jwtToken).payload.tenant).toBe('acme');

      const admin = { certPem: read('admin.crt'), keyPem: read('admin_key.pem') };
      const adminClient = loginClient(address, ca, admin);
      expect((await codeOf(unary(adminClient, 'loginAdmin', { adminTenantCert: admin.certPem, tenantID: 'initech' }))).code).toBe(status.NOT_FOUND);
      expect(cli(['tenant', 'add', 'initech'], env).status).toBe(0);
      // The running server notices the CLI's write through the database (polled every 500 ms).
      let token = '';
      for (let i = 0; i < 40 && !token; i++) {
        token = await unary<LoginAdminResponse>(adminClient, 'loginAdmin', { adminTenantCert: admin.certPem, tenantID: 'initech' }).then(
          (r) => r.jwtToken,
          () => new Promise<string>((r) => setTimeout(() => r(''), 100)),
        );
      }
      expect(decodeJwt(token).payload.tenant).toBe('initech');

      // A blacklist made with the CLI reaches the running server: the tenant certificate is refused (at the handshake of a
      // new connection: UNAVAILABLE), then allowed again.
      const serial = BigInt(`0x${new X509Certificate(acme.certPem).serialNumber}`).toString();
      const loginStatus = () => unary(loginClient(address, ca, acme), 'login', { tenantCert: acme.certPem }).then(() => status.OK, (e: { code: status }) => e.code);
      const until = async (want: status) => {
        for (let i = 0; i < 40; i++) {
          if ((await loginStatus()) === want) return want;
          await new Promise((r) => setTimeout(r, 100));
        }
        return loginStatus();
      };
      expect(cli(['certs', 'blacklist', serial], env).stdout).toMatch(/blacklisted serial/);
      expect(await until(status.UNAVAILABLE)).toBe(status.UNAVAILABLE);
      expect(cli(['certs', 'unblacklist', serial], env).status).toBe(0);
      expect(await until(status.OK)).toBe(status.OK);
    } finally {
      closeAllClients();
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });
});

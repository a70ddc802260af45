import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config';
import { GatewayError } from '../../src/errors';

let dir: string;
let files = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mgw-config-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a config file and returns the env pointing at it. */
function withFile(content: unknown, env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const file = join(dir, `config-${++files}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return { ...env, GATEWAY_CONFIG: file };
}

/** The ConfigInvalid error thrown by loadConfig. */
function failure(env: NodeJS.ProcessEnv, overrides = {}): GatewayError {
  try {
    loadConfig(env, overrides);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('ERR_CONFIG_INVALID');
    return err as GatewayError;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    expect(loadConfig({})).toEqual({
      certDir: resolve('./certs'),
      dataDir: resolve('./data'),
      databaseUrl: '',
      grpcHost: '0.0.0.0',
      grpcPort: 4010,
      serverNames: [],
      tokenIssuer: 'master-gateway',
      tokenTtlSeconds: 3600,
      logLevel: 'info',
      shutdownGraceMs: 10_000,
      httpHost: '0.0.0.0',
      httpPort: 8080,
      trustedProxies: [],
      passwordMemoryKib: 19_456,
      passwordTimeCost: 2,
      lockoutThreshold: 10,
      lockoutSeconds: 900,
      idpIssuer: '',
      idpJwks: '',
      idpAudience: '',
      idpSubjects: [],
      introspectionClients: [],
      presenceHeartbeatMs: 5000,
      secrets: [],
      secretsFile: '',
      maxGatewaysPerTenant: 1000,
      certificatesPerMinute: 30,
      httpFailuresPerMinute: 60,
      auditRetentionDays: 90,
      devPki: false,
      idpMaxTokenSeconds: 86_400,
      revocationClients: [],
      grpcMaxConnections: 4096,
      grpcHandshakeTimeoutMs: 10_000,
      grpcMaxConcurrentStreams: 100,
      grpcIdleTimeoutMs: 300_000,
      statusSubscribersPerTenant: 64,
      grpcMaxConnectionsPerCertificate: 64,
      grpcMaxHandshakesPerAddress: 32,
      httpTls: true,
      httpCert: '',
      httpKey: '',
      httpHandshakeTimeoutMs: 10_000,
      httpMaxConnections: 4096,
      httpKeepAliveTimeoutMs: 5000,
      opsPort: 9464,
      opsHost: '127.0.0.1',
    });
  });

  it('takes system secrets from GATEWAY_SECRETS (comma-separated, 32+ characters) and never quotes one back', () => {
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(40);
    expect(loadConfig({ GATEWAY_SECRETS: `${a},${b}`, GATEWAY_SECRETS_FILE: 'secrets.txt' })).toMatchObject({ secrets: [a, b], secretsFile: resolve('secrets.txt') });
    let error: { code?: string; message?: string } = {};
    try {
      loadConfig({ GATEWAY_SECRETS: `${a},tooshort-but-secret` });
    } catch (err) {
      error = err as typeof error;
    }
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.message).not.toContain('tooshort-but-secret');
  });

  it('reads GATEWAY_DEV_PKI as a boolean', () => {
    expect(loadConfig({ GATEWAY_DEV_PKI: 'true' }).devPki).toBe(true);
    expect(loadConfig({ GATEWAY_DEV_PKI: '0' }).devPki).toBe(false);
    expect(() => loadConfig({ GATEWAY_DEV_PKI: 'maybe' })).toThrow(/GATEWAY_DEV_PKI must be true or false/);
  });

  it('serves HTTPS unless GATEWAY_HTTP_TLS says "off", and wants an HTTPS certificate and key together', () => {
    expect(loadConfig({ GATEWAY_HTTP_TLS: 'off' }).httpTls).toBe(false);
    expect(loadConfig({ GATEWAY_HTTP_TLS: 'On' }).httpTls).toBe(true);
    expect(failure({ GATEWAY_HTTP_TLS: 'no' }).message).toMatch(/GATEWAY_HTTP_TLS must be "on" or "off"/);
    expect(failure({ GATEWAY_HTTP_CERT: 'public.crt' }).message).toMatch(/GATEWAY_HTTP_CERT and GATEWAY_HTTP_KEY must be set together/);
    expect(failure({ GATEWAY_HTTP_CERT: 'public.crt', GATEWAY_HTTP_KEY: 'public.key', GATEWAY_HTTP_TLS: 'off' }).message).toMatch(/GATEWAY_HTTP_TLS is off/);
    expect(loadConfig({ GATEWAY_HTTP_CERT: 'public.crt', GATEWAY_HTTP_KEY: 'public.key' })).toMatchObject({ httpCert: resolve('public.crt'), httpKey: resolve('public.key') });
    expect(failure({ GATEWAY_HTTP_HANDSHAKE_TIMEOUT_MS: '0', GATEWAY_HTTP_MAX_CONNECTIONS: '0' }).message).toMatch(/GATEWAY_HTTP_HANDSHAKE_TIMEOUT_MS[^]*GATEWAY_HTTP_MAX_CONNECTIONS/);
  });

  it('wants the external identity provider settings together, and well-formed mappings', () => {
    expect(() => loadConfig({ GATEWAY_IDP_ISSUER: 'https://idp.example/' })).toThrow(/must be set together/);
    expect(() => loadConfig({ GATEWAY_IDP_SUBJECTS: 'no-equals-sign' })).toThrow(/subject=username/);
    expect(() => loadConfig({ GATEWAY_INTROSPECTION_CLIENTS: 'rs:short' })).toThrow(/16\+ characters/);
    expect(() => loadConfig({ GATEWAY_IDP_MAX_TOKEN_SECONDS: '0' })).toThrow(/GATEWAY_IDP_MAX_TOKEN_SECONDS/);
    expect(() => loadConfig({ GATEWAY_INTROSPECTION_CLIENTS: 'rs:0123456789abcdef', GATEWAY_REVOCATION_CLIENTS: 'other' })).toThrow(/"other" is not a client ID/);
    expect(loadConfig({ GATEWAY_INTROSPECTION_CLIENTS: 'rs:0123456789abcdef', GATEWAY_REVOCATION_CLIENTS: 'rs' }).revocationClients).toEqual(['rs']);
  });

  it('takes the file over the defaults and the environment over the file', () => {
    const env = withFile(
      { grpcPort: 5000, tokenIssuer: 'from-file', serverNames: ['a.example', 'b.example'], logLevel: 'debug' },
      { GATEWAY_GRPC_PORT: '6000', GATEWAY_LOG_LEVEL: 'warn', GATEWAY_DATA_DIR: '/var/lib/mgw' },
    );
    expect(loadConfig(env)).toMatchObject({
      grpcPort: 6000,
      logLevel: 'warn',
      tokenIssuer: 'from-file',
      serverNames: ['a.example', 'b.example'],
      dataDir: '/var/lib/mgw',
      tokenTtlSeconds: 3600,
    });
  });

  it('takes a postgres:// or postgresql:// database URL; empty means the embedded database', () => {
    const url = 'postgres://gateway:s3cret@db.internal:5432/gateway?statement_timeout=2000';
    expect(loadConfig({ GATEWAY_DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(loadConfig({ GATEWAY_DATABASE_URL: 'postgresql:///gateway?host=/run/postgresql' }).databaseUrl).toBe('postgresql:///gateway?host=/run/postgresql');
    expect(loadConfig(withFile({ databaseUrl: 'postgres://db/gw' })).databaseUrl).toBe('postgres://db/gw');
    expect(loadConfig({ GATEWAY_DATABASE_URL: '' }).databaseUrl).toBe('');
  });

  it.each([
    ['another scheme', 'mysql://gateway:hunter2-secret@db/gateway'],
    ['no URL at all', 'gateway:hunter2-secret@db'],
    ['a URL that does not parse', 'postgres://gateway:hunter2-secret@db:port/gateway'],
  ])('rejects a database URL with %s, without echoing the password', (_what, value) => {
    const { message } = failure({ GATEWAY_DATABASE_URL: value });
    expect(message).toContain('GATEWAY_DATABASE_URL');
    expect(message).not.toContain('hunter2-secret');
  });

  it('ignores empty environment variables and splits comma-separated lists', () => {
    const config = loadConfig({ GATEWAY_GRPC_PORT: '', GATEWAY_SERVER_NAMES: ' gw.example , 10.0.0.1,,' });
    expect(config.grpcPort).toBe(4010);
    expect(config.serverNames).toEqual(['gw.example', '10.0.0.1']);
  });

  it('accepts port 0 from the file and from the environment', () => {
    expect(loadConfig(withFile({ grpcPort: 0 })).grpcPort).toBe(0);
    expect(loadConfig({ GATEWAY_GRPC_PORT: '0' }).grpcPort).toBe(0);
  });

  it('lists every problem at once, naming each variable', () => {
    const { message } = failure({
      GATEWAY_GRPC_PORT: '65536',
      GATEWAY_TOKEN_TTL_SECONDS: '5',
      GATEWAY_LOG_LEVEL: 'loud',
      GATEWAY_SHUTDOWN_GRACE_MS: '-1',
      GATEWAY_GRPC_HOST: '   ',
    });
    for (const name of ['GATEWAY_GRPC_PORT', 'GATEWAY_TOKEN_TTL_SECONDS', 'GATEWAY_LOG_LEVEL', 'GATEWAY_SHUTDOWN_GRACE_MS', 'GATEWAY_GRPC_HOST']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('GATEWAY_DATA_DIR');
  });

  it.each([
    ['a port with letters', { GATEWAY_GRPC_PORT: '80a' }, 'GATEWAY_GRPC_PORT'],
    ['a fractional TTL', { GATEWAY_TOKEN_TTL_SECONDS: '60.5' }, 'GATEWAY_TOKEN_TTL_SECONDS'],
    ['a TTL above a week', { GATEWAY_TOKEN_TTL_SECONDS: String(7 * 24 * 3600 + 1) }, 'GATEWAY_TOKEN_TTL_SECONDS'],
  ])('rejects %s', (_what, env, name) => {
    expect(failure(env).message).toContain(name);
  });

  it('reports file and environment problems together', () => {
    const { message } = failure(withFile({ grpcPort: 'http', serverNames: 7, shutdownGraceMs: true }, { GATEWAY_LOG_LEVEL: 'chatty' }));
    for (const name of ['GATEWAY_GRPC_PORT', 'GATEWAY_SERVER_NAMES', 'GATEWAY_SHUTDOWN_GRACE_MS', 'GATEWAY_LOG_LEVEL']) {
      expect(message).toContain(name);
    }
  });

  it('reports unknown keys in the file', () => {
    const { message } = failure(withFile({ grpcPort: 4011, grpcPrt: 4012, tokenTTL: 5 }));
    expect(message).toContain('grpcPrt');
    expect(message).toContain('tokenTTL');
  });

  // Regression: `key in DEFAULTS` also saw Object.prototype, so these keys passed silently.
  it('reports unknown keys named like Object.prototype members', () => {
    const { message } = failure(withFile({ constructor: 1, toString: 'x' }));
    expect(message).toContain('constructor');
  });

  it.each([
    ['a missing file', () => ({ GATEWAY_CONFIG: join(dir, 'missing.json') })],
    ['invalid JSON', () => withFile('{"grpcPort": ')],
    ['a JSON array', () => withFile('[]')],
    ['JSON null', () => withFile('null')],
  ])('rejects %s', (_what, env) => {
    failure(env());
  });

  it('never quotes a malformed config file back: the text around the error may hold a secret', () => {
    const secret = 'hunter2-system-secret-0123456789abcdef';
    const { message } = failure(withFile(`{"secrets": ["${secret}"] "grpcPort": 1}`));
    expect(message).toMatch(/not valid JSON/);
    expect(message).not.toContain('hunter2');
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { grpcPort: number }).grpcPort = 1;
    }).toThrow(TypeError);
    expect(config.grpcPort).toBe(4010);
  });

  // Regression: Object.freeze is shallow; the serverNames array (shared with the caller's overrides) stayed mutable.
  it('freezes the serverNames list too', () => {
    const names = ['a.example'];
    const config = loadConfig({}, { serverNames: names });
    expect(Object.isFrozen(config.serverNames)).toBe(true);
  });
});

/**
 * The only reader of the environment and the config file. Defaults < config file (JSON, path in
 * GATEWAY_CONFIG) < environment. Every problem is listed at once; the result is frozen.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MIN_SECRET_LENGTH } from './core/secret-box';
import { ConfigInvalid } from './errors';

export interface Config {
  certDir: string;
  dataDir: string;
  /** postgres:// URL of a shared PostgreSQL database; '' = the embedded database in dataDir. */
  databaseUrl: string;
  grpcHost: string;
  grpcPort: number;
  /** Extra DNS names / IPs for the server certificate of a dev PKI made at first start. */
  serverNames: string[];
  tokenIssuer: string;
  tokenTtlSeconds: number;
  logLevel: string;
  shutdownGraceMs: number;
  httpHost: string;
  /** 0 = any free port; -1 = no HTTP bridge. */
  httpPort: number;
  /** Proxies whose X-Forwarded-For is believed (IPs or CIDRs); the socket address otherwise. */
  trustedProxies: string[];
  passwordMemoryKib: number;
  passwordTimeCost: number;
  lockoutThreshold: number;
  lockoutSeconds: number;
  /** datarhei external identity provider; all empty = none. */
  idpIssuer: string;
  idpJwks: string;
  idpAudience: string;
  /** IdP subject → local username, "sub=username,…". */
  idpSubjects: string[];
  /** Resource servers allowed to call introspection/revocation, "id:secret,…". */
  introspectionClients: string[];
  /** How often an instance records that it is alive; device gateway presence of an instance silent for 3× this is dropped. */
  presenceHeartbeatMs: number;
  /**
   * System secrets that encrypt the stored signing keys and HMAC secrets: the first encrypts, all
   * decrypt (rotation). Never logged or quoted back.
   */
  secrets: string[];
  /** File listing them, one a line; '' = GATEWAY_SECRETS, else (embedded store only) certDir/system_secrets, made on first start. */
  secretsFile: string;
  /** Device gateways one tenant may register. */
  maxGatewaysPerTenant: number;
  /** Certificates one tenant may have issued per minute (CreateCertificate; a burst of as many). */
  certificatesPerMinute: number;
  /** Failed (4xx) HTTP requests one client address may make per minute (a burst of as many) before 429. */
  httpFailuresPerMinute: number;
  /** Audit events older than this are purged. */
  auditRetentionDays: number;
  /** Make a development PKI in certDir when it holds no CA (the default ./certs gets one anyway while empty). */
  devPki: boolean;
  /** External IdP tokens whose `exp` lies further ahead than this are refused (tokens without `exp` always are). */
  idpMaxTokenSeconds: number;
  /** Introspection clients (by ID) allowed to revoke any token; the others may revoke none of ours (RFC 7009 §2.1). */
  revocationClients: string[];
  /** Open gRPC connections (handshaking or not) per process; more are closed at once. */
  grpcMaxConnections: number;
  /** A gRPC connection that has not finished its TLS handshake by then is closed. */
  grpcHandshakeTimeoutMs: number;
  /** Concurrent HTTP/2 streams (calls) per gRPC connection; more are refused (REFUSED_STREAM). */
  grpcMaxConcurrentStreams: number;
  /** A gRPC connection with no call open for this long is closed (GOAWAY). */
  grpcIdleTimeoutMs: number;
  /** Open Gateway.SubscribeStatus streams per tenant (the administrator's own token counts as one tenant). */
  statusSubscribersPerTenant: number;
  /** gRPC connections one client certificate may hold open at once; more are refused at the handshake. */
  grpcMaxConnectionsPerCertificate: number;
  /** gRPC connections from one address that may be in their TLS handshake at once; more are closed. */
  grpcMaxHandshakesPerAddress: number;
  /** HTTPS on the HTTP bridge; false only when the operator says so (a TLS-terminating proxy in front). */
  httpTls: boolean;
  /** Certificate chain and key the bridge serves instead of the gateway's server.crt (e.g. a public CA's); '' = server.crt. */
  httpCert: string;
  httpKey: string;
  /** A connection that has not finished its TLS handshake by then is closed. */
  httpHandshakeTimeoutMs: number;
  /** Open connections on the bridge; more are closed at once, so the gRPC door keeps its file descriptors. */
  httpMaxConnections: number;
  /** How long an idle keep-alive connection stays open; raise above a proxy's own idle timeout when behind one. */
  httpKeepAliveTimeoutMs: number;
  /** Operations listener (/metrics, /healthz, /readyz; plain HTTP, no credential): 0 = any free port; -1 = none. */
  opsPort: number;
  opsHost: string;
}

export const DEFAULTS: Readonly<Config> = {
  certDir: './certs',
  dataDir: './data',
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
};

/** Config key → environment variable. */
export const ENV_NAMES: Record<keyof Config, string> = {
  certDir: 'GATEWAY_CERT_DIR',
  dataDir: 'GATEWAY_DATA_DIR',
  databaseUrl: 'GATEWAY_DATABASE_URL',
  grpcHost: 'GATEWAY_GRPC_HOST',
  grpcPort: 'GATEWAY_GRPC_PORT',
  serverNames: 'GATEWAY_SERVER_NAMES',
  tokenIssuer: 'GATEWAY_TOKEN_ISSUER',
  tokenTtlSeconds: 'GATEWAY_TOKEN_TTL_SECONDS',
  logLevel: 'GATEWAY_LOG_LEVEL',
  shutdownGraceMs: 'GATEWAY_SHUTDOWN_GRACE_MS',
  httpHost: 'GATEWAY_HTTP_HOST',
  httpPort: 'GATEWAY_HTTP_PORT',
  trustedProxies: 'GATEWAY_TRUSTED_PROXIES',
  passwordMemoryKib: 'GATEWAY_PASSWORD_MEMORY_KIB',
  passwordTimeCost: 'GATEWAY_PASSWORD_TIME_COST',
  lockoutThreshold: 'GATEWAY_LOCKOUT_THRESHOLD',
  lockoutSeconds: 'GATEWAY_LOCKOUT_SECONDS',
  idpIssuer: 'GATEWAY_IDP_ISSUER',
  idpJwks: 'GATEWAY_IDP_JWKS',
  idpAudience: 'GATEWAY_IDP_AUDIENCE',
  idpSubjects: 'GATEWAY_IDP_SUBJECTS',
  introspectionClients: 'GATEWAY_INTROSPECTION_CLIENTS',
  presenceHeartbeatMs: 'GATEWAY_PRESENCE_HEARTBEAT_MS',
  secrets: 'GATEWAY_SECRETS',
  secretsFile: 'GATEWAY_SECRETS_FILE',
  maxGatewaysPerTenant: 'GATEWAY_MAX_GATEWAYS_PER_TENANT',
  certificatesPerMinute: 'GATEWAY_CERTIFICATES_PER_MINUTE',
  httpFailuresPerMinute: 'GATEWAY_HTTP_FAILURES_PER_MINUTE',
  auditRetentionDays: 'GATEWAY_AUDIT_RETENTION_DAYS',
  devPki: 'GATEWAY_DEV_PKI',
  idpMaxTokenSeconds: 'GATEWAY_IDP_MAX_TOKEN_SECONDS',
  revocationClients: 'GATEWAY_REVOCATION_CLIENTS',
  grpcMaxConnections: 'GATEWAY_GRPC_MAX_CONNECTIONS',
  grpcHandshakeTimeoutMs: 'GATEWAY_GRPC_HANDSHAKE_TIMEOUT_MS',
  grpcMaxConcurrentStreams: 'GATEWAY_GRPC_MAX_CONCURRENT_STREAMS',
  grpcIdleTimeoutMs: 'GATEWAY_GRPC_IDLE_TIMEOUT_MS',
  statusSubscribersPerTenant: 'GATEWAY_STATUS_SUBSCRIBERS_PER_TENANT',
  grpcMaxConnectionsPerCertificate: 'GATEWAY_GRPC_MAX_CONNECTIONS_PER_CERTIFICATE',
  grpcMaxHandshakesPerAddress: 'GATEWAY_GRPC_MAX_HANDSHAKES_PER_ADDRESS',
  httpTls: 'GATEWAY_HTTP_TLS',
  httpCert: 'GATEWAY_HTTP_CERT',
  httpKey: 'GATEWAY_HTTP_KEY',
  httpHandshakeTimeoutMs: 'GATEWAY_HTTP_HANDSHAKE_TIMEOUT_MS',
  httpMaxConnections: 'GATEWAY_HTTP_MAX_CONNECTIONS',
  httpKeepAliveTimeoutMs: 'GATEWAY_HTTP_KEEP_ALIVE_TIMEOUT_MS',
  opsPort: 'GATEWAY_OPS_PORT',
  opsHost: 'GATEWAY_OPS_HOST',
};

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

type Raw = Partial<Record<keyof Config, unknown>>;

function readFile(path: string, problems: string[]): Raw {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`${path}: must hold a JSON object`);
      return {};
    }
    for (const key of Object.keys(parsed)) {
      if (!Object.hasOwn(DEFAULTS, key)) problems.push(`${path}: unknown setting "${key}"`);
    }
    return parsed as Raw;
  } catch (err) {
    // JSON.parse quotes the text around an error, which may hold a secret: say only where.
    const where = err instanceof SyntaxError ? /position \d+/.exec(err.message)?.[0] : undefined;
    problems.push(err instanceof SyntaxError ? `${path}: not valid JSON${where ? ` (at ${where})` : ''}` : `${path}: ${(err as Error).message}`);
    return {};
  }
}

function fromEnv(env: NodeJS.ProcessEnv): Raw {
  const raw: Raw = {};
  for (const [key, name] of Object.entries(ENV_NAMES) as [keyof Config, string][]) {
    if (env[name] !== undefined && env[name] !== '') raw[key] = env[name];
  }
  return raw;
}

function integer(value: unknown, name: string, min: number, max: number, problems: string[]): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
    return min;
  }
  return n;
}

function text(value: unknown, name: string, problems: string[]): string {
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(`${name} must be a non-empty string`);
    return '';
  }
  return value;
}

/** '' or a postgres:// URL. The value is never quoted back: it may hold a password. */
function databaseUrl(value: unknown, name: string, problems: string[]): string {
  if (value === undefined || value === '') return '';
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol)) {
    problems.push(`${name} must be a postgres:// or postgresql:// URL (the value is not shown: it may hold a password)`);
    return '';
  }
  return value as string;
}

function flag(value: unknown, name: string, problems: string[]): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|1|yes)$/i.test(value.trim())) return true;
  if (typeof value === 'string' && /^(false|0|no)$/i.test(value.trim())) return false;
  problems.push(`${name} must be true or false (got ${JSON.stringify(value)})`);
  return false;
}

function list(value: unknown, name: string, problems: string[]): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
  problems.push(`${name} must be a list of names (or a comma-separated string)`);
  return [];
}

/** "on"/"off" (or a JSON boolean): anything else is a mistake, not a guess. */
function onOff(value: unknown, name: string, problems: string[]): boolean {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (v === true || v === 'on') return true;
  if (v === false || v === 'off') return false;
  problems.push(`${name} must be "on" or "off" (got ${JSON.stringify(value)})`);
  return true;
}

/** '' or a file path, resolved against the working directory. */
function optionalPath(value: unknown, name: string, problems: string[]): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string') {
    problems.push(`${name} must be a file path`);
    return '';
  }
  return resolve(value);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Raw = {}): Readonly<Config> {
  const problems: string[] = [];
  const file = env.GATEWAY_CONFIG ? readFile(env.GATEWAY_CONFIG, problems) : {};
  const raw: Raw = { ...DEFAULTS, ...file, ...fromEnv(env), ...overrides };
  const config: Config = {
    certDir: resolve(text(raw.certDir, ENV_NAMES.certDir, problems)),
    dataDir: resolve(text(raw.dataDir, ENV_NAMES.dataDir, problems)),
    databaseUrl: databaseUrl(raw.databaseUrl, ENV_NAMES.databaseUrl, problems),
    grpcHost: text(raw.grpcHost, ENV_NAMES.grpcHost, problems),
    grpcPort: integer(raw.grpcPort, ENV_NAMES.grpcPort, 0, 65535, problems),
    serverNames: Object.freeze([...list(raw.serverNames, ENV_NAMES.serverNames, problems)]) as string[],
    tokenIssuer: text(raw.tokenIssuer, ENV_NAMES.tokenIssuer, problems),
    tokenTtlSeconds: integer(raw.tokenTtlSeconds, ENV_NAMES.tokenTtlSeconds, 60, 7 * 24 * 3600, problems),
    logLevel: String(raw.logLevel),
    shutdownGraceMs: integer(raw.shutdownGraceMs, ENV_NAMES.shutdownGraceMs, 0, 600_000, problems),
    httpHost: text(raw.httpHost, ENV_NAMES.httpHost, problems),
    httpPort: integer(raw.httpPort, ENV_NAMES.httpPort, -1, 65535, problems),
    trustedProxies: Object.freeze([...list(raw.trustedProxies, ENV_NAMES.trustedProxies, problems)]) as string[],
    passwordMemoryKib: integer(raw.passwordMemoryKib, ENV_NAMES.passwordMemoryKib, 8, 4 * 1024 * 1024, problems),
    passwordTimeCost: integer(raw.passwordTimeCost, ENV_NAMES.passwordTimeCost, 1, 100, problems),
    lockoutThreshold: integer(raw.lockoutThreshold, ENV_NAMES.lockoutThreshold, 1, 1000, problems),
    lockoutSeconds: integer(raw.lockoutSeconds, ENV_NAMES.lockoutSeconds, 1, 7 * 24 * 3600, problems),
    idpIssuer: String(raw.idpIssuer ?? ''),
    idpJwks: String(raw.idpJwks ?? ''),
    idpAudience: String(raw.idpAudience ?? ''),
    idpSubjects: Object.freeze([...list(raw.idpSubjects, ENV_NAMES.idpSubjects, problems)]) as string[],
    introspectionClients: Object.freeze([...list(raw.introspectionClients, ENV_NAMES.introspectionClients, problems)]) as string[],
    presenceHeartbeatMs: integer(raw.presenceHeartbeatMs, ENV_NAMES.presenceHeartbeatMs, 100, 60_000, problems),
    secrets: Object.freeze([...list(raw.secrets, ENV_NAMES.secrets, problems)]) as string[],
    secretsFile: raw.secretsFile ? resolve(text(raw.secretsFile, ENV_NAMES.secretsFile, problems)) : '',
    maxGatewaysPerTenant: integer(raw.maxGatewaysPerTenant, ENV_NAMES.maxGatewaysPerTenant, 1, 1_000_000, problems),
    certificatesPerMinute: integer(raw.certificatesPerMinute, ENV_NAMES.certificatesPerMinute, 1, 10_000, problems),
    httpFailuresPerMinute: integer(raw.httpFailuresPerMinute, ENV_NAMES.httpFailuresPerMinute, 1, 1_000_000, problems),
    auditRetentionDays: integer(raw.auditRetentionDays, ENV_NAMES.auditRetentionDays, 1, 36_500, problems),
    devPki: flag(raw.devPki, ENV_NAMES.devPki, problems),
    idpMaxTokenSeconds: integer(raw.idpMaxTokenSeconds, ENV_NAMES.idpMaxTokenSeconds, 60, 30 * 86_400, problems),
    revocationClients: Object.freeze([...list(raw.revocationClients, ENV_NAMES.revocationClients, problems)]) as string[],
    grpcMaxConnections: integer(raw.grpcMaxConnections, ENV_NAMES.grpcMaxConnections, 1, 1_000_000, problems),
    grpcHandshakeTimeoutMs: integer(raw.grpcHandshakeTimeoutMs, ENV_NAMES.grpcHandshakeTimeoutMs, 100, 120_000, problems),
    grpcMaxConcurrentStreams: integer(raw.grpcMaxConcurrentStreams, ENV_NAMES.grpcMaxConcurrentStreams, 1, 10_000, problems),
    grpcIdleTimeoutMs: integer(raw.grpcIdleTimeoutMs, ENV_NAMES.grpcIdleTimeoutMs, 100, 86_400_000, problems),
    statusSubscribersPerTenant: integer(raw.statusSubscribersPerTenant, ENV_NAMES.statusSubscribersPerTenant, 1, 100_000, problems),
    grpcMaxConnectionsPerCertificate: integer(raw.grpcMaxConnectionsPerCertificate, ENV_NAMES.grpcMaxConnectionsPerCertificate, 1, 1_000_000, problems),
    grpcMaxHandshakesPerAddress: integer(raw.grpcMaxHandshakesPerAddress, ENV_NAMES.grpcMaxHandshakesPerAddress, 1, 1_000_000, problems),
    httpTls: onOff(raw.httpTls, ENV_NAMES.httpTls, problems),
    httpCert: optionalPath(raw.httpCert, ENV_NAMES.httpCert, problems),
    httpKey: optionalPath(raw.httpKey, ENV_NAMES.httpKey, problems),
    httpHandshakeTimeoutMs: integer(raw.httpHandshakeTimeoutMs, ENV_NAMES.httpHandshakeTimeoutMs, 100, 120_000, problems),
    httpMaxConnections: integer(raw.httpMaxConnections, ENV_NAMES.httpMaxConnections, 1, 1_000_000, problems),
    httpKeepAliveTimeoutMs: integer(raw.httpKeepAliveTimeoutMs, ENV_NAMES.httpKeepAliveTimeoutMs, 1000, 600_000, problems),
    opsPort: integer(raw.opsPort, ENV_NAMES.opsPort, -1, 65535, problems),
    opsHost: text(raw.opsHost, ENV_NAMES.opsHost, problems),
  };
  if (config.secrets.some((s) => s.length < MIN_SECRET_LENGTH)) {
    problems.push(`${ENV_NAMES.secrets}: every secret must have at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -base64 32; values not shown)`);
  }
  const idp = [config.idpIssuer, config.idpJwks, config.idpAudience];
  if (idp.some(Boolean) && !idp.every(Boolean)) {
    problems.push(`${ENV_NAMES.idpIssuer}, ${ENV_NAMES.idpJwks} and ${ENV_NAMES.idpAudience} must be set together (the audience is always checked)`);
  }
  for (const entry of config.idpSubjects) {
    if (!/^[^=\s]+=[A-Za-z0-9._@+-]{1,128}$/.test(entry)) problems.push(`${ENV_NAMES.idpSubjects}: "${entry}" is not subject=username`);
  }
  for (const entry of config.introspectionClients) {
    if (!/^[A-Za-z0-9._-]+:.{16,}$/.test(entry)) problems.push(`${ENV_NAMES.introspectionClients}: each entry is id:secret with a secret of 16+ characters`);
  }
  const introspectionIds = new Set(config.introspectionClients.map((e) => e.slice(0, e.indexOf(':'))));
  for (const id of config.revocationClients) {
    if (!introspectionIds.has(id)) problems.push(`${ENV_NAMES.revocationClients}: "${id}" is not a client ID of ${ENV_NAMES.introspectionClients}`);
  }
  if (Boolean(config.httpCert) !== Boolean(config.httpKey)) {
    problems.push(`${ENV_NAMES.httpCert} and ${ENV_NAMES.httpKey} must be set together`);
  }
  if (!config.httpTls && (config.httpCert || config.httpKey)) {
    problems.push(`${ENV_NAMES.httpCert}/${ENV_NAMES.httpKey} name a certificate but ${ENV_NAMES.httpTls} is off: say which you mean`);
  }
  if (!LOG_LEVELS.includes(config.logLevel)) {
    problems.push(`${ENV_NAMES.logLevel} must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(raw.logLevel)})`);
  }
  if (problems.length > 0) {
    throw new ConfigInvalid(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return Object.freeze(config);
}

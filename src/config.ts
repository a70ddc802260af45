/**
 * The only reader of the environment and the config file. Defaults < config file (JSON, path in
 * GATEWAY_CONFIG) < environment. Every problem is listed at once; the result is frozen.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigInvalid } from './errors';

export interface Config {
  certDir: string;
  dataDir: string;
  grpcHost: string;
  grpcPort: number;
  /** Extra DNS names / IPs for the server certificate of a dev PKI made at first start. */
  serverNames: string[];
  tokenIssuer: string;
  tokenTtlSeconds: number;
  logLevel: string;
  shutdownGraceMs: number;
}

const DEFAULTS: Config = {
  certDir: './certs',
  dataDir: './data',
  grpcHost: '0.0.0.0',
  grpcPort: 4010,
  serverNames: [],
  tokenIssuer: 'master-gateway',
  tokenTtlSeconds: 3600,
  logLevel: 'info',
  shutdownGraceMs: 10_000,
};

/** Config key → environment variable. */
export const ENV_NAMES: Record<keyof Config, string> = {
  certDir: 'GATEWAY_CERT_DIR',
  dataDir: 'GATEWAY_DATA_DIR',
  grpcHost: 'GATEWAY_GRPC_HOST',
  grpcPort: 'GATEWAY_GRPC_PORT',
  serverNames: 'GATEWAY_SERVER_NAMES',
  tokenIssuer: 'GATEWAY_TOKEN_ISSUER',
  tokenTtlSeconds: 'GATEWAY_TOKEN_TTL_SECONDS',
  logLevel: 'GATEWAY_LOG_LEVEL',
  shutdownGraceMs: 'GATEWAY_SHUTDOWN_GRACE_MS',
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
    problems.push(`${path}: ${(err as Error).message}`);
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
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
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

function list(value: unknown, name: string, problems: string[]): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
  problems.push(`${name} must be a list of names (or a comma-separated string)`);
  return [];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Raw = {}): Readonly<Config> {
  const problems: string[] = [];
  const file = env.GATEWAY_CONFIG ? readFile(env.GATEWAY_CONFIG, problems) : {};
  const raw: Raw = { ...DEFAULTS, ...file, ...fromEnv(env), ...overrides };
  const config: Config = {
    certDir: resolve(text(raw.certDir, ENV_NAMES.certDir, problems)),
    dataDir: resolve(text(raw.dataDir, ENV_NAMES.dataDir, problems)),
    grpcHost: text(raw.grpcHost, ENV_NAMES.grpcHost, problems),
    grpcPort: integer(raw.grpcPort, ENV_NAMES.grpcPort, 0, 65535, problems),
    serverNames: Object.freeze([...list(raw.serverNames, ENV_NAMES.serverNames, problems)]) as string[],
    tokenIssuer: text(raw.tokenIssuer, ENV_NAMES.tokenIssuer, problems),
    tokenTtlSeconds: integer(raw.tokenTtlSeconds, ENV_NAMES.tokenTtlSeconds, 60, 7 * 24 * 3600, problems),
    logLevel: String(raw.logLevel),
    shutdownGraceMs: integer(raw.shutdownGraceMs, ENV_NAMES.shutdownGraceMs, 0, 600_000, problems),
  };
  if (!LOG_LEVELS.includes(config.logLevel)) {
    problems.push(`${ENV_NAMES.logLevel} must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(raw.logLevel)})`);
  }
  if (problems.length > 0) {
    throw new ConfigInvalid(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return Object.freeze(config);
}

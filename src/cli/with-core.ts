/**
 * The one way a CLI command reaches the core: the configured store (GATEWAY_DATABASE_URL, else
 * GATEWAY_DATA_DIR or --data-dir) and the operations the server's core is composed of, built by the
 * same functions with the same configured settings (gateway quota, password cost, lockout). So a
 * command follows the same rules as the Tenant and Gateway APIs. Parts are made when first asked for,
 * so a command pays only for what it uses (no directory load for `keys`, no argon2 for `tenant`).
 */
import { userInfo } from 'node:os';
import pino from 'pino';
import { Config, loadConfig } from '../config';
import { coreSettings } from '../core-settings';
import { systemClock } from '../core/clock';
import { Actor } from '../core/actor';
import { auditedCertificates, auditedKeys, auditedRoles, auditedTenants, auditedUsers, createRecorder, KeyAdmin, Recorder } from '../core/audited-admin';
import { Admin, createAdmin } from '../core/create-admin';
import { createAudit } from '../core/identity/audit';
import { createDirectory } from '../core/directory';
import { createAccounts } from '../core/identity/create-identity';
import { Users } from '../core/identity/users';
import { SecretBox } from '../core/secret-box';
import { openStore } from '../store/open-store';
import { Store } from '../store/store';
import { loadSecretBox } from '../system-secrets';

export interface CommandCore {
  config: Readonly<Config>;
  store: Store;
  /** Tenants and their gateway registrations, certificates, roles: what the server's core uses; changes audited with the OS user as actor. */
  admin(): Promise<Admin>;
  /** User administration, as the server's identity core makes it; changes audited. */
  users(): Promise<Users>;
  /** Signing keys and HMAC secrets; changes audited. */
  keys(): Promise<KeyAdmin>;
  /** Records a change made outside these operations (certificates the CLI issues from its CA directory). */
  record: Recorder;
  /** The system secrets, resolved exactly as `serve` resolves them. */
  secretBox(): Promise<SecretBox>;
}

const once = <T>(make: () => Promise<T>): (() => Promise<T>) => {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
};

/** The OS user running the command; `os.userInfo()` throws for a uid with no passwd entry (some containers). */
export function cliActor(env: NodeJS.ProcessEnv = process.env, info: () => { username: string } = userInfo): Actor {
  let user: string | undefined;
  try {
    user = info().username;
  } catch {
    user = env.USER || env.LOGNAME || (process.getuid ? `uid ${process.getuid()}` : undefined);
  }
  return { door: 'cli', name: `os:${user || 'unknown'}` };
}

/**
 * Runs `fn` with the core of the configured store and closes the store. An embedded database that
 * does not exist is an error (exit 2) unless `create` is asked (`store init`, `certs init`).
 */
export async function withCore<T>(dataDir: string | undefined, fn: (core: CommandCore) => Promise<T>, options: { create?: boolean } = {}): Promise<T> {
  const config = loadConfig(process.env, dataDir ? { dataDir } : {});
  const settings = coreSettings(config);
  const clock = systemClock;
  const store = await openStore(config, { pollMs: 0, create: options.create ?? false });
  try {
    const directory = once(() => createDirectory(store, clock));
    const record = createRecorder(createAudit(store, clock, pino({ level: 'silent' })), cliActor());
    const secretBox = once(() => loadSecretBox(config, store));
    const core: CommandCore = {
      config,
      store,
      // No CA here: the CLI issues certificates from the CA directory its flags name (certs-command.ts).
      admin: once(async () => {
        const admin = createAdmin({ store, clock, directory: await directory(), maxGatewaysPerTenant: settings.maxGatewaysPerTenant, certificatesPerMinute: settings.certificatesPerMinute });
        return { tenants: auditedTenants(admin.tenants, record), certificates: auditedCertificates(admin.certificates, record), roles: auditedRoles(admin.roles, record) };
      }),
      users: once(async () => {
        const { users } = await createAccounts({ ...settings, store, clock, log: pino({ level: 'silent' }), directory: await directory() });
        return auditedUsers(users, record);
      }),
      keys: once(async () => auditedKeys(store, await secretBox(), clock, record)),
      record,
      secretBox,
    };
    return await fn(core);
  } finally {
    await store.close();
  }
}

/** The identity core behind the HTTP dialects, composed from the store and the gateway's keys. */
import { KeyObject } from 'node:crypto';
import { Logger } from 'pino';
import { PurgedIdentityRows, Store } from '../../store/store';
import { Clock } from '../clock';
import { Directory } from '../directory';
import { KeyRing } from '../key-ring';
import { CoreMetrics } from '../metrics';
import { AccessTokens, createAccessTokens } from './access-tokens';
import { Audit, AuditTrail, createAudit } from './audit';
import { createLockout, Lockout, LockoutPolicy, lockoutPolicy } from './lockout';
import { createPasswords, PasswordCost, Passwords } from './passwords';
import { DEFAULT_AUDIT_RETENTION_DAYS, purgeAudit } from './purge-audit';
import { purgeIdentity } from './purge-identity';
import { createRefreshTokens, RefreshTokens } from './refresh-tokens';
import { createUsers, Users } from './users';

export const EDR_MOBILE_SECRET = 'edr-mobile';

export interface Identity {
  users: Users;
  passwords: Passwords;
  lockout: Lockout;
  audit: AuditTrail;
  refresh: RefreshTokens;
  access: AccessTokens;
  /** HS256 secret of the EDR mobile JWT (the current one: it is re-read after a rotation). */
  readonly mobileKey: KeyObject;
  /** Drops lockout counters and refresh tokens nothing will read again (see purgeIdentity). */
  purge(signal?: AbortSignal): Promise<PurgedIdentityRows>;
  /** Drops audit events older than the retention; says how many. */
  purgeAudit(signal?: AbortSignal): Promise<number>;
}

export interface IdentityOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  directory: Directory;
  keys: KeyRing;
  issuer: string;
  passwordCost: PasswordCost;
  lockoutThreshold: number;
  lockoutSeconds: number;
  /** Audit events are kept this long (DEFAULT_AUDIT_RETENTION_DAYS). */
  auditRetentionDays?: number;
  /** Counts audited events (the operations listener's /metrics); none by default. */
  metrics?: CoreMetrics;
}

/** What user administration needs (the CLI's `user` commands take only this part). */
export type AccountsOptions = Pick<IdentityOptions, 'store' | 'clock' | 'log' | 'directory' | 'passwordCost' | 'lockoutThreshold' | 'lockoutSeconds' | 'metrics'>;

export interface Accounts {
  users: Users;
  passwords: Passwords;
  lockout: Lockout;
  audit: AuditTrail;
  policy: LockoutPolicy;
}

/** Users with their password cost, lockout policy and audit: one wiring for the server and the CLI. */
export async function createAccounts(o: AccountsOptions): Promise<Accounts> {
  const passwords = await createPasswords(o.passwordCost);
  const policy: LockoutPolicy = lockoutPolicy(o.lockoutThreshold, o.lockoutSeconds);
  const lockout = createLockout(o.store, o.clock, policy);
  const audit = createAudit(o.store, o.clock, o.log, o.metrics);
  const users = createUsers({ store: o.store, clock: o.clock, passwords, lockout, audit, directory: o.directory });
  return { users, passwords, lockout, audit, policy };
}

export async function createIdentity(o: IdentityOptions): Promise<Identity> {
  const { users, passwords, lockout, audit, policy } = await createAccounts(o);
  await o.keys.ensureSecret(EDR_MOBILE_SECRET);
  return {
    users,
    passwords,
    lockout,
    audit,
    refresh: createRefreshTokens(o.store, o.clock, users, audit, o.directory),
    access: createAccessTokens(o.keys, o.directory, o.store, o.clock, o.issuer),
    get mobileKey() {
      return o.keys.secret(EDR_MOBILE_SECRET);
    },
    // The lockout's own window: a counter is dropped only once the lockout would forget it.
    purge: (signal) => purgeIdentity(o.store, o.clock, policy.windowMs, signal),
    purgeAudit: (signal) => purgeAudit(o.store, o.clock, o.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS, signal),
  };
}

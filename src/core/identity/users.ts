/**
 * Users of the HTTP login dialects: one store for all of them. Usernames are unique across the
 * gateway. `verify` is the only way to check a password: lockout first, one argon2id run
 * whether or not the user exists, the same error for every kind of failure.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgument, InvalidCredentials, PasswordChangeRequired, PasswordPolicyViolated } from '../../errors';
import { checkId } from '../../pki/ids';
import { Store, UserPatch, UserRecord } from '../../store/store';
import { Clock } from '../clock';
import { Directory } from '../directory';
import { createEpochMemory } from '../epoch-memory';
import { Audit } from './audit';
import { Attempt, Lockout } from './lockout';
import { MAX_PASSWORD_LENGTH, Passwords } from './passwords';

export interface NewUser {
  username: string;
  tenantId: string;
  password: string;
  role?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  mustChangePassword?: boolean;
}

export interface LoginAttempt {
  username: unknown;
  password: unknown;
  /** Cognito-style logins name the tenant too; it must match. */
  tenantName?: unknown;
  /**
   * The dialect can ask for a new password (Cognito's NEW_PASSWORD_REQUIRED). Without it, a user who
   * must change their password gets PasswordChangeRequired, so no dialect can forget the check.
   */
  offersPasswordChange?: boolean;
  address: string;
  dialect: string;
}

/** A password checked (verify): the user, and the attempt to settle. */
export interface Verified {
  user: UserRecord;
  attempt: Pick<Attempt, 'succeeded'>;
}

export interface Users {
  add(user: NewUser): Promise<UserRecord>;
  setPassword(username: string, password: string, options?: { mustChange?: boolean }): Promise<void>;
  update(username: string, patch: Omit<UserPatch, 'passwordHash'>): Promise<void>;
  remove(username: string): Promise<void>;
  find(username: string): Promise<UserRecord | undefined>;
  /**
   * The password check: resolves to the user and the attempt, whose success is not written yet: the
   * caller writes it exactly once, with what the login writes (`attempt.succeeded({ token, audit })`:
   * one store write). Throws InvalidArgument / InvalidCredentials / PasswordChangeRequired / TooManyAttempts.
   */
  verify(attempt: LoginAttempt): Promise<Verified>;
  /** A user whose tokens may still be honoured: exists, enabled, tenant registered. */
  active(userId: string): Promise<UserRecord | undefined>;
  /** `active`'s answer from memory alone (nothing changed since it was read), without a promise; else undefined (then ask `active`). */
  remembered(userId: string): UserRecord | undefined;
}

/** Active users remembered (least recently used forgotten first): memory flat in the number of users. */
export const ACTIVE_USERS_REMEMBERED = 10_000;

const USERNAME = /^[A-Za-z0-9._@+-]{1,128}$/;

export function checkUsername(value: unknown): string {
  if (typeof value !== 'string' || !USERNAME.test(value)) {
    throw new InvalidArgument('username must be 1–128 characters of letters, digits and . _ @ + -');
  }
  return value;
}

export function checkNewPassword(value: unknown): string {
  if (typeof value !== 'string' || value.length < 8) throw new PasswordPolicyViolated('password must be at least 8 characters');
  if (value.length > MAX_PASSWORD_LENGTH) throw new PasswordPolicyViolated(`password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  return value;
}

export interface UsersDeps {
  store: Store;
  clock: Clock;
  passwords: Passwords;
  lockout: Lockout;
  audit: Audit;
  directory: Directory;
}

export function createUsers({ store, clock, passwords, lockout, audit, directory }: UsersDeps): Users {
  // Users found active, while no user, refresh family or tenant changed (every refresh asks).
  const activeUsers = createEpochMemory<string, UserRecord>(ACTIVE_USERS_REMEMBERED, directory.usersEpoch);

  async function require(username: string): Promise<UserRecord> {
    const user = await store.findUserByName(username);
    if (!user) throw new InvalidArgument(`user ${username} does not exist`);
    return user;
  }

  /** A user write: in force here before it returns, even when its acknowledgement was lost (the store tells the rest). */
  async function changing<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      directory.noteUsersChanged();
    }
  }

  return {
    async add(input) {
      const now = clock();
      const user: UserRecord = {
        userId: randomUUID(),
        username: checkUsername(input.username),
        tenantId: checkId(input.tenantId, 'tenant'),
        role: input.role ?? 'user',
        passwordHash: await passwords.hash(checkNewPassword(input.password)),
        email: input.email ?? '',
        firstName: input.firstName ?? '',
        lastName: input.lastName ?? '',
        disabled: false,
        mustChangePassword: input.mustChangePassword ?? false,
        createdAt: now,
        updatedAt: now,
      };
      await store.addUser(user);
      return user;
    },

    async setPassword(username, password, options = {}) {
      const user = await require(username);
      const passwordHash = await passwords.hash(checkNewPassword(password));
      await changing(async () => {
        await store.updateUser(user.userId, { passwordHash, mustChangePassword: options.mustChange ?? false }, clock());
        // A new password ends every session that the old one opened.
        await store.revokeUserRefreshTokens(user.userId, Math.floor(clock() / 1000));
      });
    },

    async update(username, patch) {
      const user = await require(username);
      await changing(async () => {
        await store.updateUser(user.userId, patch, clock());
        if (patch.disabled) await store.revokeUserRefreshTokens(user.userId, Math.floor(clock() / 1000));
      });
    },

    async remove(username) {
      const user = await require(username);
      await changing(() => store.deleteUser(user.userId));
    },

    find: (username) => store.findUserByName(username),

    async verify({ username, password, tenantName, address, dialect, offersPasswordChange = false }) {
      if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
        throw new InvalidArgument('username and password are required');
      }
      const name = username.slice(0, 256);
      // Counted per user ID (see lockout.ts): another user's success, whatever its name's case, clears nothing of this one.
      const user = USERNAME.test(name) ? await store.findUserByName(name) : undefined;
      const attempt = await lockout.begin(user ? { userId: user.userId } : { unknownName: name }, address);
      const { ok, needsRehash } = await passwords.verify(user?.passwordHash, password);
      const tenantOk = tenantName === undefined || tenantName === user?.tenantId;
      const usable = user && !user.disabled && (await directory.hasTenant(user.tenantId));
      if (!ok || !tenantOk || !usable) {
        const { lockedOut } = await attempt.failed();
        const reason = !user ? 'unknown user' : !ok ? 'wrong password' : !tenantOk ? 'wrong tenant' : 'user disabled or tenant gone';
        await audit({ event: 'login', outcome: 'failure', dialect, username: name, tenantId: user?.tenantId ?? null, address, detail: reason });
        if (lockedOut) await audit({ event: 'lockout', outcome: 'locked', dialect, username: name, address });
        throw new InvalidCredentials('invalid username or password');
      }
      if (user.mustChangePassword && !offersPasswordChange) {
        await attempt.succeeded();
        await audit({ event: 'login', outcome: 'failure', dialect, username: name, tenantId: user.tenantId, address, detail: 'password change required' });
        throw new PasswordChangeRequired('the password must be changed before logging in');
      }
      if (!needsRehash) return { user, attempt };
      const updated = { passwordHash: await passwords.hash(password), updatedAt: clock() };
      await changing(() => store.updateUser(user.userId, { passwordHash: updated.passwordHash }, updated.updatedAt));
      return { user: { ...user, ...updated }, attempt };
    },

    remembered: (userId) => activeUsers.get(userId),

    async active(userId) {
      const known = activeUsers.get(userId);
      if (known) return known;
      // Read before asking: a change made meanwhile keeps the answer from being remembered.
      const epoch = activeUsers.epoch();
      const user = await store.findUser(userId);
      const active = user && !user.disabled && (await directory.hasTenant(user.tenantId)) ? user : undefined;
      if (active) activeUsers.set(userId, active, epoch);
      return active;
    },
  };
}

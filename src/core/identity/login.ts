/**
 * Password logins of every dialect: the password check (lockout first; failures are audited by
 * users.verify), the audit of the success, and the tokens. What a login writes once the password
 * checked out (the attempt's success, the refresh token, the audit row) is one store write. A user
 * who must change their password gets a challenge where the dialect offers one. EDR's two steps go
 * through here too: the account step hands out a mobile JWT, which the login then shows as its
 * account proof.
 */
import { GatewayError, InvalidCredentials } from '../../errors';
import { Store, UserRecord } from '../../store/store';
import { Clock, unixSeconds } from '../clock';
import { AuditInput, AuditTrail } from './audit';
import { ChallengeSessions, NEW_PASSWORD_REQUIRED } from './challenge-sessions';
import { IssueTokens } from './issue-tokens';
import { Issued, LoginProfile } from './login-profile';
import { MobileJwt } from './mobile-jwt';
import { Users, Verified } from './users';

export interface PasswordLogin {
  username: unknown;
  password: unknown;
  /** Cognito-style logins name the tenant too; it must match. */
  tenantName?: unknown;
  /**
   * EDR: the mobile JWT of the account step. It is checked before the password, so a bad one never
   * reaches argon2 or the lockout counters, and every mismatch (other account, unknown user) is
   * refused like a wrong password.
   */
  accountProof?: string;
  address: string;
}

export type LoginResult<K extends string = string> =
  | ({ kind: 'tokens' } & Issued<K>)
  | { kind: 'challenge'; challenge: typeof NEW_PASSWORD_REQUIRED; user: UserRecord; session: string };

export interface LoginDeps {
  users: Users;
  audit: AuditTrail;
  store: Pick<Store, 'findRole'>;
  clock: Clock;
  issue: IssueTokens;
  challenges: ChallengeSessions;
  mobileJwt: MobileJwt;
}

export function createLogin({ users, audit, store, clock, issue, challenges, mobileJwt }: LoginDeps) {
  async function checkAccountProof(username: unknown, proof: string, address: string, dialect: string): Promise<void> {
    const name = typeof username === 'string' ? username : '';
    try {
      mobileJwt.verify(proof, (await users.find(name))?.userId);
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      await audit({ event: 'login', outcome: 'failure', dialect, username: name.slice(0, 128), address, detail: err.code });
      throw new InvalidCredentials('invalid username or password');
    }
  }

  /** The attempt's success and its audit row in one write; the event logged and counted once it committed. */
  async function succeeded({ attempt }: Verified, success: AuditInput): Promise<void> {
    const audited = audit.prepare(success);
    await attempt.succeeded({ audit: audited.event });
    audited.committed();
  }

  async function login<K extends string>(request: PasswordLogin, profile: LoginProfile<K>, offersPasswordChange: boolean): Promise<LoginResult<K>> {
    const { username, password, tenantName, accountProof, address } = request;
    const { dialect } = profile;
    if (accountProof !== undefined) await checkAccountProof(username, accountProof, address, dialect);
    const verified = await users.verify({ username, password, tenantName, address, dialect, offersPasswordChange });
    const { user, attempt } = verified;
    const success = { event: 'login', outcome: 'success', dialect, username: user.username, tenantId: user.tenantId, address } as const;
    if (user.mustChangePassword) {
      await succeeded(verified, { ...success, detail: `challenge ${NEW_PASSWORD_REQUIRED}` });
      // verify may have rehashed the password; the session is bound to the stored hash.
      const current = (await users.active(user.userId)) ?? user;
      return { kind: 'challenge', challenge: NEW_PASSWORD_REQUIRED, user: current, session: challenges.open(current) };
    }
    const audited = audit.prepare(success);
    const session = { user, subject: user.username, authTime: unixSeconds(clock) };
    const issued = await issue(profile, session, { save: (token) => attempt.succeeded({ token, audit: audited.event }) });
    audited.committed();
    return { kind: 'tokens', ...issued, ...(profile.withRole ? { role: await store.findRole(user.role) } : {}) };
  }

  return {
    /** Throws InvalidArgument, InvalidCredentials, PasswordChangeRequired (a user who must change it), TooManyAttempts. */
    // Not offered a password change, verify refuses a user who must make one: the result holds tokens.
    login: async <K extends string>(request: PasswordLogin, profile: LoginProfile<K>): Promise<Issued<K>> =>
      (await login(request, profile, false)) as Issued<K>,

    /** For a dialect that asks for a new password (Cognito's NEW_PASSWORD_REQUIRED) instead of refusing such a user. */
    loginOrChallenge: <K extends string>(request: PasswordLogin, profile: LoginProfile<K>): Promise<LoginResult<K>> => login(request, profile, true),

    /** EDR's account step: the password checked, a short-lived mobile JWT bound to the account. */
    async accountStep(request: Pick<PasswordLogin, 'username' | 'password' | 'address'>, dialect: string): Promise<string> {
      const { username, password, address } = request;
      const verified = await users.verify({ username, password, address, dialect });
      const { user } = verified;
      await succeeded(verified, { event: 'login', outcome: 'success', dialect, username: user.username, tenantId: user.tenantId, address, detail: 'account step: mobile jwt issued' });
      return mobileJwt.sign(user.userId);
    },
  };
}

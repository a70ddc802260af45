/**
 * The answer to a NEW_PASSWORD_REQUIRED challenge: a genuine, unexpired session opened for the user
 * named, a new password the rules allow, the session spent (one answer goes through), the password
 * set, both events audited, and the tokens of a login.
 */
import { SessionNotFound } from '../../errors';
import { Clock, unixSeconds } from '../clock';
import { Audit } from './audit';
import { ChallengeSessions, NEW_PASSWORD_REQUIRED } from './challenge-sessions';
import { IssueTokens } from './issue-tokens';
import { Issued, LoginProfile } from './login-profile';
import { checkNewPassword, Users } from './users';

export interface ChallengeAnswer {
  session: string;
  username: string;
  newPassword: string;
  address: string;
}

export interface AnswerChallengeDeps {
  users: Users;
  audit: Audit;
  clock: Clock;
  issue: IssueTokens;
  challenges: ChallengeSessions;
}

/** Throws SessionNotFound (unknown, expired, spent or another user's session) and PasswordPolicyViolated. */
export function createAnswerChallenge({ users, audit, clock, issue, challenges }: AnswerChallengeDeps) {
  return async function answerChallenge<K extends string>(answer: ChallengeAnswer, profile: LoginProfile<K>): Promise<Issued<K>> {
    const { session, username, newPassword, address } = answer;
    const { dialect } = profile;
    const found = await challenges.check(session, username, (userId) => users.active(userId));
    if (!found) {
      await audit({ event: 'password_change', outcome: 'failure', dialect, username: username.slice(0, 128), address, detail: 'invalid challenge session' });
      throw new SessionNotFound('invalid challenge session');
    }
    checkNewPassword(newPassword);
    if (!(await found.take())) throw new SessionNotFound('challenge session already answered');
    const { user } = found;
    await users.setPassword(user.username, newPassword, { mustChange: false });
    const audited = { dialect, username: user.username, tenantId: user.tenantId, address } as const;
    await audit({ ...audited, event: 'password_change', outcome: 'success', detail: NEW_PASSWORD_REQUIRED });
    const issued = await issue(profile, { user: { ...user, mustChangePassword: false }, subject: user.username, authTime: unixSeconds(clock) }, 'new');
    await audit({ ...audited, event: 'login', outcome: 'success' });
    return issued;
  };
}

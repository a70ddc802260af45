/**
 * Sessions of the NEW_PASSWORD_REQUIRED challenge. They are HMAC'd tokens, not server-side state, so
 * any instance on the same store can take the answer and a restart loses nothing. The MAC also covers
 * the user's current password hash (which is never put in the token): answering the challenge sets a
 * new password and so kills the session, and a password set meanwhile by an admin kills it too. Two
 * concurrent answers pass those checks alike, so taking a session spends its nonce in the store: of
 * answers on any worker or instance sharing the store, one goes through.
 */
import { createHmac, KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { Clock } from '../clock';
import { Store, UserRecord } from '../../store/store';

/** The challenge's name (Cognito's), in answers and audit details. */
export const NEW_PASSWORD_REQUIRED = 'NEW_PASSWORD_REQUIRED';
/** The HMAC secret of the sessions, kept in the key ring (rotated with `keys rotate-hmac`). */
export const CHALLENGE_SECRET = 'cognito-challenge';
/** Cognito's default session validity: 3 minutes. */
export const SESSION_TTL_MS = 3 * 60_000;
const MAX_SESSION_LENGTH = 1024;
/** Spent nonces are kept this long past their session's expiry: an instance whose clock runs behind still finds them. */
export const SPENT_MARGIN_MS = 600_000;

interface Payload {
  u: string;
  e: number;
  n: string;
}

export interface ChallengeSessions {
  open(user: UserRecord): string;
  /**
   * The user a genuine, unexpired, unused session was opened for, if it is `username` and they still
   * must change their password; `take` then spends it (false: another answer spent it first).
   */
  check(session: string, username: string, findUser: (userId: string) => Promise<UserRecord | undefined>): Promise<{ user: UserRecord; take(): Promise<boolean> } | undefined>;
}

export function createChallengeSessions(key: () => KeyObject, clock: Clock, store: Pick<Store, 'spendChallenge'>): ChallengeSessions {
  const mac = (payload: string, user: UserRecord) => createHmac('sha256', key()).update(`${payload}\n${user.userId}\n${user.passwordHash}`).digest();

  function parse(session: string): { payload: string; claims: Payload; signature: Buffer } | undefined {
    if (session.length > MAX_SESSION_LENGTH) return undefined;
    const [payload, signature, extra] = session.split('.');
    if (!payload || !signature || extra !== undefined) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Payload;
      if (typeof claims.u !== 'string' || typeof claims.e !== 'number' || typeof claims.n !== 'string') return undefined;
      return { payload, claims, signature: Buffer.from(signature, 'base64url') };
    } catch {
      return undefined;
    }
  }

  return {
    open(user) {
      const claims: Payload = { u: user.userId, e: clock() + SESSION_TTL_MS, n: randomBytes(16).toString('base64url') };
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `${payload}.${mac(payload, user).toString('base64url')}`;
    },

    async check(session, username, findUser) {
      const parsed = parse(session);
      if (!parsed || parsed.claims.e <= clock()) return undefined;
      const user = await findUser(parsed.claims.u);
      if (!user || user.username !== username || !user.mustChangePassword) return undefined;
      const expected = mac(parsed.payload, user);
      if (expected.length !== parsed.signature.length || !timingSafeEqual(expected, parsed.signature)) return undefined;
      const { n: nonce, e: expiresAt } = parsed.claims;
      return {
        user,
        take: () => store.spendChallenge(nonce, expiresAt, clock() - SPENT_MARGIN_MS),
      };
    },
  };
}

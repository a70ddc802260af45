/**
 * Refresh tokens, stored only as SHA-256 hashes. Rotating ones (Monogoto, EDR) are single use:
 * presenting a spent one revokes its whole family and is recorded as an incident. Reusable ones
 * (datarhei, Cognito-style, whose clients keep the token they got at login) stay valid until they
 * expire or are revoked.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { TokenInvalid } from '../../errors';
import { RefreshTokenRecord, Store, UserRecord } from '../../store/store';
import { Clock, unixSeconds } from '../clock';
import { Audit } from './audit';
import { Users } from './users';

export interface IssueOptions {
  rotating: boolean;
  ttlSeconds: number;
  /** Continue a family (rotation) instead of starting one (login). */
  familyId?: string;
  /** A token made by the dialect (e.g. a JWT); an opaque random one otherwise. */
  token?: string;
}

export interface RefreshTokens {
  issue(user: UserRecord, dialect: string, options: IssueOptions): Promise<{ token: string; familyId: string; expiresAt: number }>;
  /** The user and record of a good token; a rotating token is spent by this call. Throws TokenInvalid. */
  use(token: string, dialect: string, address: string): Promise<{ user: UserRecord; record: RefreshTokenRecord }>;
  /**
   * Whether a token is one of ours and still in force (what `use` would honour, a spent rotating
   * token not), without using it: for introspection. Undefined when no such token was issued.
   */
  inspect(token: string): Promise<{ live: false } | { live: true; user: UserRecord; record: RefreshTokenRecord } | undefined>;
  /** Revokes the token's family; false when the token is unknown. */
  revoke(token: string): Promise<boolean>;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Not revoked, not expired: the rule `use` and `inspect` share (a spent rotating token is each one's own case). */
const inForce = (record: RefreshTokenRecord, now: number) => record.revokedAt === null && record.expiresAt > now;

export function createRefreshTokens(store: Store, clock: Clock, users: Users, audit: Audit): RefreshTokens {
  return {
    async issue(user, dialect, options) {
      const token = options.token ?? randomBytes(32).toString('base64url');
      const issuedAt = unixSeconds(clock);
      const record: RefreshTokenRecord = {
        tokenHash: hashToken(token),
        familyId: options.familyId ?? randomUUID(),
        userId: user.userId,
        dialect,
        rotating: options.rotating,
        issuedAt,
        expiresAt: issuedAt + options.ttlSeconds,
        usedAt: null,
        revokedAt: null,
      };
      await store.addRefreshToken(record);
      return { token, familyId: record.familyId, expiresAt: record.expiresAt };
    },

    async use(token, dialect, address) {
      const invalid = () => new TokenInvalid('refresh token is invalid, expired or revoked');
      if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw invalid();
      const record = await store.findRefreshToken(hashToken(token));
      const now = unixSeconds(clock);
      if (!record || record.dialect !== dialect || !inForce(record, now)) throw invalid();
      const user = await users.active(record.userId);
      if (!user) throw invalid();
      if (record.rotating && !(await store.spendRefreshToken(record.tokenHash, now))) {
        const revoked = await store.revokeRefreshFamily(record.familyId, now);
        await audit({ event: 'refresh_reuse', outcome: 'incident', dialect, username: user.username, tenantId: user.tenantId, address, detail: `spent refresh token presented again; family revoked (${revoked} live tokens)` });
        throw invalid();
      }
      await audit({ event: 'refresh', outcome: 'success', dialect, username: user.username, tenantId: user.tenantId, address });
      return { user, record };
    },

    async inspect(token) {
      const record = await store.findRefreshToken(hashToken(token));
      if (!record) return undefined;
      const user = await users.active(record.userId);
      const spent = record.rotating && record.usedAt !== null;
      return user && inForce(record, unixSeconds(clock)) && !spent ? { live: true, user, record } : { live: false };
    },

    async revoke(token) {
      const record = await store.findRefreshToken(hashToken(token));
      if (!record) return false;
      await store.revokeRefreshFamily(record.familyId, unixSeconds(clock));
      return true;
    },
  };
}

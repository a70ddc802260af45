/**
 * Refresh tokens, stored only as SHA-256 hashes. Rotating ones (Monogoto, EDR) are single use:
 * presenting a spent one revokes its whole family and is recorded as an incident. Reusable ones
 * (datarhei, Cognito-style, whose clients keep the token they got at login) stay valid until they
 * expire or are revoked.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { TokenInvalid } from '../../errors';
import { RefreshTokenRecord, Store, UserRecord } from '../../store/store';
import { Clock, unixSeconds } from '../clock';
import { Directory } from '../directory';
import { createEpochMemory } from '../epoch-memory';
import { Audit } from './audit';
import { hashToken } from './token-hash';
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
  /**
   * The user and record of a good token; a rotating token is spent by this call. Throws TokenInvalid.
   * `hash`: the token's hashToken, when the caller has it already.
   */
  use(token: string, dialect: string, address: string, hash?: string): Promise<{ user: UserRecord; record: RefreshTokenRecord }>;
  /**
   * Whether a token is one of ours and still in force (what `use` would honour, a spent rotating
   * token not), without using it: for introspection. Undefined when no such token was issued.
   */
  inspect(token: string, hash?: string): Promise<{ live: false } | { live: true; user: UserRecord; record: RefreshTokenRecord } | undefined>;
  /** Revokes the token's family; false when the token is unknown. */
  revoke(token: string): Promise<boolean>;
}

export { hashToken };

/** Longer is no token of ours: refused unread. */
export const MAX_TOKEN_LENGTH = 4096;

/** Not revoked, not expired: the rule `use` and `inspect` share (a spent rotating token is each one's own case). */
const inForce = (record: RefreshTokenRecord, now: number) => record.revokedAt === null && record.expiresAt > now;

/** Reusable tokens' records remembered (least recently used forgotten first): memory flat in the number of tokens. */
export const REUSABLE_TOKENS_REMEMBERED = 10_000;

/**
 * `directory`: with it, the records of live reusable tokens are remembered while its users epoch
 * stays put (every revocation of a refresh token, family or user moves it, here or elsewhere); a
 * rotating token's record changes when it is spent, so it is read from the store every time.
 */
export function createRefreshTokens(store: Store, clock: Clock, users: Users, audit: Audit, directory?: Pick<Directory, 'usersEpoch' | 'noteUsersChanged'>): RefreshTokens {
  const reusable = directory && createEpochMemory<string, RefreshTokenRecord>(REUSABLE_TOKENS_REMEMBERED, directory.usersEpoch);

  async function find(hash: string): Promise<RefreshTokenRecord | undefined> {
    const known = reusable?.get(hash);
    if (known) return known;
    const epoch = reusable?.epoch();
    const record = await store.findRefreshToken(hash);
    if (reusable && record && !record.rotating && record.revokedAt === null) reusable.set(hash, record, epoch!);
    return record;
  }

  async function revokeFamily(familyId: string, at: number): Promise<number> {
    try {
      return await store.revokeRefreshFamily(familyId, at);
    } finally {
      // In force here before the call returns, even when the acknowledgement was lost; the store tells the rest.
      directory?.noteUsersChanged();
    }
  }

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

    async use(token, dialect, address, hash) {
      const invalid = () => new TokenInvalid('refresh token is invalid, expired or revoked');
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalid();
      const record = await find(hash ?? hashToken(token));
      const now = unixSeconds(clock);
      if (!record || record.dialect !== dialect || !inForce(record, now)) throw invalid();
      const user = await users.active(record.userId);
      if (!user) throw invalid();
      if (record.rotating && !(await store.spendRefreshToken(record.tokenHash, now))) {
        const revoked = await revokeFamily(record.familyId, now);
        await audit({ event: 'refresh_reuse', outcome: 'incident', dialect, username: user.username, tenantId: user.tenantId, address, detail: `spent refresh token presented again; family revoked (${revoked} live tokens)` });
        throw invalid();
      }
      await audit({ event: 'refresh', outcome: 'success', dialect, username: user.username, tenantId: user.tenantId, address });
      return { user, record };
    },

    async inspect(token, hash) {
      const record = await find(hash ?? hashToken(token));
      if (!record) return undefined;
      const user = await users.active(record.userId);
      const spent = record.rotating && record.usedAt !== null;
      return user && inForce(record, unixSeconds(clock)) && !spent ? { live: true, user, record } : { live: false };
    },

    async revoke(token) {
      const record = await store.findRefreshToken(hashToken(token));
      if (!record) return false;
      await revokeFamily(record.familyId, unixSeconds(clock));
      return true;
    },
  };
}

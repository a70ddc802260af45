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
import { AuditTrail } from './audit';
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

/** A presented token found in force (its dialect's, unexpired, unrevoked) with its user, active. */
export interface Presented {
  user: UserRecord;
  record: RefreshTokenRecord;
}

export interface RefreshTokens {
  /**
   * A new token, stored by `save` (the store's addRefreshToken by default; a login's own write, which
   * stores it together with the attempt's success and the audit row: login.ts) before it is returned.
   */
  issue(user: UserRecord, dialect: string, options: IssueOptions, save?: (record: RefreshTokenRecord) => Promise<void>): Promise<{ token: string; familyId: string; expiresAt: number }>;
  /**
   * A token in force, found but not used yet (neither spent nor audited), with its user, active.
   * Throws TokenInvalid. `hash`: the token's hashToken, when the caller has it already. A reusable
   * token is then used with `accept`, a rotating one with `rotate`.
   */
  check(token: string, dialect: string, hash?: string): Promise<Presented>;
  /**
   * `check`'s answer from memory alone, without a promise: a reusable token of this dialect whose
   * record and user are remembered (nothing changed since they were read) and which is unexpired.
   * Undefined otherwise, and then `check` decides.
   */
  remembered(hash: string, dialect: string): Presented | undefined;
  /** Uses a checked reusable token: audits the refresh. A rotating token is used only by `rotate` (an Error here). */
  accept(presented: Presented, address: string): Promise<void>;
  /**
   * A refresh of a checked rotating token, in one store write: the token spent, the next one of its
   * family (`next`, as `issue` takes it) added and the refresh audited, all or nothing. A token
   * spent already (a reuse, or a concurrent rotation that won) revokes its family, is recorded as an
   * incident, and throws TokenInvalid.
   */
  rotate(presented: Presented, address: string, next: Omit<IssueOptions, 'familyId'>): Promise<{ token: string; familyId: string; expiresAt: number }>;
  /**
   * Whether a token is one of ours and still in force (what a refresh would honour, a spent rotating
   * token not), without using it: for introspection. Undefined when no such token was issued.
   */
  inspect(token: string, hash?: string): Promise<{ live: false } | { live: true; user: UserRecord; record: RefreshTokenRecord } | undefined>;
  /** Revokes the token's family; false when the token is unknown. */
  revoke(token: string): Promise<boolean>;
}

export { hashToken };

/** Longer is no token of ours: refused unread. */
export const MAX_TOKEN_LENGTH = 4096;

/** Not revoked, not expired: the rule `check` and `inspect` share (a spent rotating token is `rotate`'s and `inspect`'s own case). */
const inForce = (record: RefreshTokenRecord, now: number) => record.revokedAt === null && record.expiresAt > now;

/** Reusable tokens' records remembered (least recently used forgotten first): memory flat in the number of tokens. */
export const REUSABLE_TOKENS_REMEMBERED = 10_000;

/**
 * `directory`: with it, the records of live reusable tokens are remembered while its users epoch
 * stays put (every revocation of a refresh token, family or user moves it, here or elsewhere); a
 * rotating token's record changes when it is spent, so it is read from the store every time.
 */
export function createRefreshTokens(store: Store, clock: Clock, users: Users, audit: AuditTrail, directory?: Pick<Directory, 'usersEpoch' | 'noteUsersChanged'>): RefreshTokens {
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

  /** A token and its record, not stored yet (`familyId`: the family it continues, else options', else a new one). */
  function made(user: UserRecord, dialect: string, options: IssueOptions, familyId = options.familyId): { token: string; record: RefreshTokenRecord } {
    const token = options.token ?? randomBytes(32).toString('base64url');
    const issuedAt = unixSeconds(clock);
    const record: RefreshTokenRecord = {
      tokenHash: hashToken(token),
      familyId: familyId ?? randomUUID(),
      userId: user.userId,
      dialect,
      rotating: options.rotating,
      issuedAt,
      expiresAt: issuedAt + options.ttlSeconds,
      usedAt: null,
      revokedAt: null,
    };
    return { token, record };
  }

  const invalid = () => new TokenInvalid('refresh token is invalid, expired or revoked');

  /** A spent rotating token presented again: its family is revoked and the incident recorded. */
  async function reused({ user, record }: Presented, address: string, now: number): Promise<never> {
    const revoked = await revokeFamily(record.familyId, now);
    await audit({ event: 'refresh_reuse', outcome: 'incident', dialect: record.dialect, username: user.username, tenantId: user.tenantId, address, detail: `spent refresh token presented again; family revoked (${revoked} live tokens)` });
    throw invalid();
  }

  const refreshed = ({ user, record }: Presented, address: string) =>
    ({ event: 'refresh', outcome: 'success', dialect: record.dialect, username: user.username, tenantId: user.tenantId, address }) as const;

  const tokens: RefreshTokens = {
    async issue(user, dialect, options, save = (record) => store.addRefreshToken(record)) {
      const { token, record } = made(user, dialect, options);
      await save(record);
      return { token, familyId: record.familyId, expiresAt: record.expiresAt };
    },

    async check(token, dialect, hash) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalid();
      const record = await find(hash ?? hashToken(token));
      if (!record || record.dialect !== dialect || !inForce(record, unixSeconds(clock))) throw invalid();
      const user = await users.active(record.userId);
      if (!user) throw invalid();
      return { user, record };
    },

    remembered(hash, dialect) {
      // Only live reusable tokens' records are remembered (see find), so a spent one is never answered here.
      const record = reusable?.get(hash);
      if (record === undefined || record.dialect !== dialect || !inForce(record, unixSeconds(clock))) return undefined;
      const user = users.remembered(record.userId);
      return user && { user, record };
    },

    accept(presented, address) {
      // A rotating token would need spending first, in the audit's transaction: that is rotate.
      if (presented.record.rotating) return Promise.reject(new Error('a rotating refresh token is used by rotate, not accept'));
      return audit(refreshed(presented, address));
    },

    async rotate(presented, address, options) {
      const now = unixSeconds(clock);
      const next = made(presented.user, presented.record.dialect, options, presented.record.familyId);
      const event = audit.prepare(refreshed(presented, address));
      // The audit row is in the rotation's transaction: acknowledged (logged, counted, answered) only
      // once committed, so no acknowledged audit event is lost.
      if (!(await store.rotateRefreshToken(presented.record.tokenHash, now, next.record, event.event))) await reused(presented, address, now);
      event.committed();
      return { token: next.token, familyId: next.record.familyId, expiresAt: next.record.expiresAt };
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
  return tokens;
}

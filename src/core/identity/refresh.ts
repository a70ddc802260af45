/**
 * A refresh of any dialect: the token checked (a JWT one as a JWT first: signature, expiry, key still
 * in the ring), used (refresh-tokens.ts: a rotating one is spent, and a spent one presented again
 * revokes its family), and new access tokens; a rotating token's next one continues its family.
 */
import { TokenInvalid } from '../../errors';
import { AccessTokens } from './access-tokens';
import { IssueTokens } from './issue-tokens';
import { Issued, LoginProfile } from './login-profile';
import { MAX_TOKEN_LENGTH, RefreshTokens } from './refresh-tokens';
import { hashToken } from './token-hash';

export interface RefreshDeps {
  access: AccessTokens;
  refresh: RefreshTokens;
  issue: IssueTokens;
}

/** Throws TokenInvalid for any token not in force. */
export function createRefresh({ access, refresh, issue }: RefreshDeps) {
  return async function refreshSession<K extends string>(token: string, address: string, profile: LoginProfile<K>): Promise<Issued<K>> {
    // Hashed once: the token's verification and a reusable token's record are remembered by it (see
    // access-tokens.ts, refresh-tokens.ts) while nothing that could change them changed.
    const hash = typeof token === 'string' && token.length <= MAX_TOKEN_LENGTH ? hashToken(token) : undefined;
    let subject: string | undefined;
    if (profile.refresh.jwt) {
      const claims = hash === undefined ? undefined : await access.check(token, hash);
      if (!claims) throw new TokenInvalid('refresh token is invalid, expired or revoked');
      subject = claims.sub;
    }
    const { user, record } = await refresh.use(token, profile.dialect, address, hash);
    const session = { user, subject: subject ?? user.username, authTime: record.issuedAt };
    return issue(profile, session, profile.refresh.rotating ? { familyId: record.familyId } : 'none');
  };
}

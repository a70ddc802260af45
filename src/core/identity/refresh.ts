/**
 * A refresh of any dialect: the token checked (a JWT one as a JWT first: signature, expiry, key still
 * in the ring, then its record: in force, its user active), and new access tokens. A reusable token
 * is then used (audited); a rotating one is rotated once everything is signed: spent, its family's
 * next token added and the refresh audited in one store write (refresh-tokens.ts), and a spent one
 * presented again revokes its family.
 */
import { TokenInvalid } from '../../errors';
import { AccessTokens } from './access-tokens';
import { IssueTokens, signAccess } from './issue-tokens';
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
    // access-tokens.ts, refresh-tokens.ts) while nothing that could change them changed. What memory
    // answers is taken without an await (`remembered`: the same rules); anything else is asked.
    const hash = typeof token === 'string' && token.length <= MAX_TOKEN_LENGTH ? hashToken(token) : undefined;
    let subject: string | undefined;
    if (profile.refresh.jwt) {
      const claims = hash === undefined ? undefined : (access.remembered(hash) ?? (await access.check(token, hash)));
      if (!claims) throw new TokenInvalid('refresh token is invalid, expired or revoked');
      subject = claims.sub;
    }
    const presented = (hash !== undefined && refresh.remembered(hash, profile.dialect)) || (await refresh.check(token, profile.dialect, hash));
    const { user, record } = presented;
    const session = { user, subject: subject ?? user.username, authTime: record.issuedAt };
    if (profile.refresh.rotating) return issue(profile, session, { rotate: presented, address });
    await refresh.accept(presented, address);
    return { user, access: signAccess(access, profile, session) };
  };
}

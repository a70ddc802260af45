/** Signs a session's access tokens in a dialect's claims and, at a login or a rotation, issues its refresh token. */
import { AccessTokens } from './access-tokens';
import { Issued, LoginProfile, Session, TokenSpec } from './login-profile';
import { RefreshTokens } from './refresh-tokens';

/** 'new': a login starts a family; a family ID: a rotation continues it; 'none': a reusable token was used. */
export type RefreshIssue = 'new' | { familyId: string } | 'none';

export type IssueTokens = <K extends string>(profile: LoginProfile<K>, session: Session, refresh: RefreshIssue) => Promise<Issued<K>>;

export function createIssueTokens(access: AccessTokens, refresh: RefreshTokens): IssueTokens {
  return async <K extends string>(profile: LoginProfile<K>, session: Session, which: RefreshIssue): Promise<Issued<K>> => {
    const specs = Object.entries(profile.access(session)) as [K, TokenSpec][];
    const signed = Object.fromEntries(specs.map(([name, s]) => [name, access.sign(s.claims, s.ttlSeconds, s.header).token])) as Record<K, string>;
    if (which === 'none') return { user: session.user, access: signed };
    const { rotating, ttlSeconds, jwt } = profile.refresh;
    const spec = jwt?.(session);
    const token = spec && access.sign(spec.claims, spec.ttlSeconds, spec.header).token;
    // Joining a family after a concurrent reuse revoked it yields a token that is born revoked (the store sees to it).
    const familyId = which === 'new' ? undefined : which.familyId;
    const issued = await refresh.issue(session.user, profile.dialect, { rotating, ttlSeconds, familyId, token });
    return { user: session.user, access: signed, refreshToken: issued.token };
  };
}

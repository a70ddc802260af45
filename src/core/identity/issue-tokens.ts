/** Signs a session's access tokens in a dialect's claims and, at a login or a rotation, issues its refresh token. */
import { AccessTokens } from './access-tokens';
import { Issued, LoginProfile, Session, TokenSpec } from './login-profile';
import { Presented, RefreshTokens } from './refresh-tokens';

/**
 * 'new': a login starts a family; `rotate`: a rotating refresh spends the presented token and
 * continues its family; 'none': a reusable token was used.
 */
export type RefreshIssue = 'new' | { rotate: Presented; address: string } | 'none';

export type IssueTokens = <K extends string>(profile: LoginProfile<K>, session: Session, refresh: RefreshIssue) => Promise<Issued<K>>;

export function createIssueTokens(access: AccessTokens, refresh: RefreshTokens): IssueTokens {
  return async <K extends string>(profile: LoginProfile<K>, session: Session, which: RefreshIssue): Promise<Issued<K>> => {
    // Everything signed first: a rotation is then one store write (refresh-tokens.ts), and a refused
    // one (the token spent already) throws before anything is handed out.
    const specs = Object.entries(profile.access(session)) as [K, TokenSpec][];
    const signed = Object.fromEntries(specs.map(([name, s]) => [name, access.sign(s.claims, s.ttlSeconds, s.header).token])) as Record<K, string>;
    if (which === 'none') return { user: session.user, access: signed };
    const { rotating, ttlSeconds, jwt } = profile.refresh;
    const spec = jwt?.(session);
    const token = spec && access.sign(spec.claims, spec.ttlSeconds, spec.header).token;
    const options = { rotating, ttlSeconds, token };
    const issued = which === 'new' ? await refresh.issue(session.user, profile.dialect, options) : await refresh.rotate(which.rotate, which.address, options);
    return { user: session.user, access: signed, refreshToken: issued.token };
  };
}

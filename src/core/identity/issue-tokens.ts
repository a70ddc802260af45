/** Signs a session's access tokens in a dialect's claims and, at a login or a rotation, issues its refresh token. */
import { RefreshTokenRecord } from '../../store/store';
import { AccessTokens } from './access-tokens';
import { Issued, LoginProfile, Session } from './login-profile';
import { Presented, RefreshTokens } from './refresh-tokens';

/**
 * 'new': a login starts a family; `save`: the same, the new token stored by the caller's write (a
 * password login stores it with its attempt's success and audit row: one store write); `rotate`: a
 * rotating refresh spends the presented token and continues its family. (A reusable token's refresh
 * signs only access tokens: `signAccess`.)
 */
export type RefreshIssue = 'new' | { save: (record: RefreshTokenRecord) => Promise<void> } | { rotate: Presented; address: string };

export type IssueTokens = <K extends string>(profile: LoginProfile<K>, session: Session, refresh: RefreshIssue) => Promise<Issued<K>>;

/** The session's access tokens, signed now (each call a fresh token), by the profile's names. */
export function signAccess<K extends string>(access: AccessTokens, profile: LoginProfile<K>, session: Session): Record<K, string> {
  const specs = profile.access(session);
  const signed = {} as Record<K, string>;
  for (const name in specs) {
    const spec = specs[name];
    signed[name] = access.sign(spec.claims, spec.ttlSeconds, spec.header).token;
  }
  return signed;
}

export function createIssueTokens(access: AccessTokens, refresh: RefreshTokens): IssueTokens {
  return async <K extends string>(profile: LoginProfile<K>, session: Session, which: RefreshIssue): Promise<Issued<K>> => {
    // Everything signed first: a rotation is then one store write (refresh-tokens.ts), and a refused
    // one (the token spent already) throws before anything is handed out.
    const signed = signAccess(access, profile, session);
    const { rotating, ttlSeconds, jwt } = profile.refresh;
    const spec = jwt?.(session);
    const token = spec && access.sign(spec.claims, spec.ttlSeconds, spec.header).token;
    const options = { rotating, ttlSeconds, token };
    const issued =
      which === 'new'
        ? await refresh.issue(session.user, profile.dialect, options)
        : 'save' in which
          ? await refresh.issue(session.user, profile.dialect, options, which.save)
          : await refresh.rotate(which.rotate, which.address, options);
    return { user: session.user, access: signed, refreshToken: issued.token };
  };
}

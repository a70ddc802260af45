/**
 * Whether a token of ours is in force, for resource servers (RFC 7662) and for a dialect asking who
 * sent a request. Refresh tokens are looked up first (some are JWTs too): they are known by their
 * hash. Access tokens: signature, expiry, revocation, their tenant registered, and then either the
 * certificate they are bound to (gRPC tokens) or the active user they name (HTTP tokens: uid, else sub).
 */
import { RefreshTokenRecord, UserRecord } from '../../store/store';
import { Directory } from '../directory';
import { createLru } from '../lru';
import { AccessTokens, VerifiedClaims } from './access-tokens';
import { RefreshTokens } from './refresh-tokens';
import { hashToken } from './token-hash';
import { TokenStanding } from './token-standing';
import { Users } from './users';

export type Introspection =
  | { active: false }
  | { active: true; kind: 'refresh'; user: UserRecord; record: RefreshTokenRecord }
  /** `user` is undefined for a certificate-bound (gRPC) token, which names no user. */
  | { active: true; kind: 'access'; claims: VerifiedClaims; user?: UserRecord };

export interface IntrospectionDeps {
  directory: Directory;
  access: AccessTokens;
  refresh: RefreshTokens;
  users: Users;
  standing: TokenStanding;
}

/** Verified JWTs remembered as no refresh token of ours (least recently used forgotten first). */
export const ACCESS_TOKENS_REMEMBERED = 10_000;

export function createIntrospection({ directory, access, refresh, users, standing }: IntrospectionDeps) {
  // Hashes of JWTs that verified and had no refresh token record: introspecting one again skips that
  // lookup. Safe for good: a refresh token is stored before anyone is given it, so no record can
  // appear later for a token that was already presented.
  const notRefresh = createLru<string, true>(ACCESS_TOKENS_REMEMBERED);

  async function accessInForce(token: string, hash = hashToken(token)): Promise<{ claims: VerifiedClaims; user?: UserRecord } | undefined> {
    const claims = await access.check(token, hash);
    if (!claims || !(await directory.hasTenant(claims.tenant))) return undefined;
    if (claims.cnf) return (await standing.boundTokenInForce(claims)) ? { claims } : undefined;
    const user = await users.active(typeof claims.uid === 'string' ? claims.uid : claims.sub);
    return user && user.tenantId === claims.tenant ? { claims, user } : undefined;
  }

  return {
    async introspect(token: string): Promise<Introspection> {
      const hash = hashToken(token);
      if (notRefresh.get(hash) === undefined) {
        const stored = await refresh.inspect(token, hash);
        if (stored) return stored.live ? { active: true, kind: 'refresh', user: stored.user, record: stored.record } : { active: false };
        // Signed by us (not merely well formed): only our own tokens take room here.
        if (await access.check(token, hash)) notRefresh.set(hash, true);
      }
      const found = await accessInForce(token, hash);
      return found ? { active: true, kind: 'access', ...found } : { active: false };
    },

    /** The user and claims of an access token in force that names a user; undefined for anything else. */
    async tokenUser(token: string): Promise<{ claims: VerifiedClaims; user: UserRecord } | undefined> {
      const found = await accessInForce(token);
      return found?.user && { claims: found.claims, user: found.user };
    },
  };
}

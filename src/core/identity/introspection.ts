/**
 * Whether a token of ours is in force, for resource servers (RFC 7662) and for a dialect asking who
 * sent a request. Refresh tokens are looked up first (some are JWTs too): they are known by their
 * hash. Access tokens: signature, expiry, revocation, their tenant registered, and then either the
 * certificate they are bound to (gRPC tokens) or the active user they name (HTTP tokens: uid, else sub).
 */
import { RefreshTokenRecord, UserRecord } from '../../store/store';
import { Directory } from '../directory';
import { AccessTokens, VerifiedClaims } from './access-tokens';
import { RefreshTokens } from './refresh-tokens';
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

export function createIntrospection({ directory, access, refresh, users, standing }: IntrospectionDeps) {
  async function accessInForce(token: string): Promise<{ claims: VerifiedClaims; user?: UserRecord } | undefined> {
    const claims = await access.check(token);
    if (!claims || !(await directory.hasTenant(claims.tenant))) return undefined;
    if (claims.cnf) return (await standing.boundTokenInForce(claims)) ? { claims } : undefined;
    const user = await users.active(typeof claims.uid === 'string' ? claims.uid : claims.sub);
    return user && user.tenantId === claims.tenant ? { claims, user } : undefined;
  }

  return {
    async introspect(token: string): Promise<Introspection> {
      const stored = await refresh.inspect(token);
      if (stored) return stored.live ? { active: true, kind: 'refresh', user: stored.user, record: stored.record } : { active: false };
      const found = await accessInForce(token);
      return found ? { active: true, kind: 'access', ...found } : { active: false };
    },

    /** The user and claims of an access token in force that names a user; undefined for anything else. */
    async tokenUser(token: string): Promise<{ claims: VerifiedClaims; user: UserRecord } | undefined> {
      const found = await accessInForce(token);
      return found?.user && { claims: found.claims, user: found.user };
    },
  };
}

/**
 * For resource servers (RFC 7662 introspection, RFC 7009 revocation): whether an access token of
 * ours is in force, and who may revoke it. Decided here; the HTTP door only shapes the answers.
 */
import { Store } from '../../store/store';
import { Directory } from '../directory';
import { AccessTokens, VerifiedClaims } from './access-tokens';
import { hashToken, RefreshTokens } from './refresh-tokens';
import { Users } from './users';

export interface TokenStandingDeps {
  store: Store;
  directory: Directory;
  access: AccessTokens;
  refresh: RefreshTokens;
  users: Users;
  /** Introspection clients allowed to revoke any token (GATEWAY_REVOCATION_CLIENTS). */
  revocationClients: readonly string[];
}

export type RevokeOutcome = 'refresh' | 'access' | 'unknown' | 'refused';

export interface TokenStanding {
  /**
   * A certificate-bound (gRPC) token is in force only while its tenant is the generation it was issued
   * for and the certificate it is bound to is not blacklisted, as the gRPC door checks on every call.
   */
  boundTokenInForce(claims: VerifiedClaims): Promise<boolean>;
  /**
   * RFC 7009 §2.1: a client may revoke only tokens issued to it. No token of ours is issued to an
   * introspection client, so only the clients named privileged revoke; the others are refused for
   * any token that is live (an invalid one is answered as revoked, §2.2).
   */
  revoke(client: string, token: string): Promise<RevokeOutcome>;
}

export function createTokenStanding(d: TokenStandingDeps): TokenStanding {
  const privileged = new Set(d.revocationClients);

  return {
    async boundTokenInForce(claims) {
      const generation = await d.directory.tenantGeneration(claims.tenant);
      if (generation === undefined || generation !== (typeof claims.tgen === 'string' ? claims.tgen : '')) return false;
      const serial = claims.cert_serial;
      if (typeof serial === 'string' && /^\d{1,20}$/.test(serial)) return !d.directory.isBlacklisted(BigInt(serial));
      // Issued before tokens named their certificate's serial: found by its SHA-256 among the owner's certificates.
      const thumbprint = (claims.cnf as { 'x5t#S256'?: unknown } | undefined)?.['x5t#S256'];
      if (typeof thumbprint !== 'string') return false;
      const fingerprint = Buffer.from(thumbprint, 'base64url').toString('hex');
      const owned = await d.store.listCertificates({ tenantId: claims.sub });
      return !owned.some((c) => c.fingerprint === fingerprint && (c.blacklisted || d.directory.isBlacklisted(c.serial)));
    },

    async revoke(client, token) {
      const refresh = await d.store.findRefreshToken(hashToken(token));
      const access = refresh ? undefined : await d.access.check(token);
      if (!refresh && !access) return 'unknown';
      if (!privileged.has(client)) return 'refused';
      if (refresh) return (await d.refresh.revoke(token)) ? 'refresh' : 'unknown';
      await d.access.revoke(access!);
      return 'access';
    },
  };
}

/**
 * Access tokens of the HTTP dialects: JWTs signed with the gateway's ES256 key ring (the keys the
 * gRPC side uses), published as a JWKS so other services verify them offline. Every token names
 * its tenant. Verification allows ES256 only and honours revocations.
 */
import { randomUUID } from 'node:crypto';
import { StoreUnavailable, TokenInvalid, TokenRevoked } from '../../errors';
import { Store } from '../../store/store';
import { Clock, unixSeconds } from '../clock';
import { Directory } from '../directory';
import { KeyRing } from '../key-ring';
import { signJwt } from '../sign-jwt';
import { verifyGatewayJwt } from '../verify-jwt';

export interface AccessClaims {
  sub: string;
  tenant: string;
  [claim: string]: unknown;
}

export interface VerifiedClaims extends AccessClaims {
  jti: string;
  iat: number;
  exp: number;
  iss: string;
}

export interface AccessTokens {
  sign(claims: AccessClaims, ttlSeconds: number, header?: Record<string, unknown>): { token: string; jti: string; iat: number; exp: number };
  /** Signature (ES256 only), issuer, expiry, revocation (asked of the store). */
  verify(token: string): Promise<VerifiedClaims>;
  /** The claims of a token `verify` accepts, else undefined; a store that cannot answer still throws (a 503, not a bad token). */
  check(token: string): Promise<VerifiedClaims | undefined>;
  revoke(claims: Pick<VerifiedClaims, 'jti' | 'exp'>): Promise<void>;
  jwks(): { keys: Record<string, unknown>[] };
}

export function createAccessTokens(keys: KeyRing, directory: Directory, store: Store, clock: Clock, issuer: string): AccessTokens {
  async function verify(token: string): Promise<VerifiedClaims> {
    const { claims } = verifyGatewayJwt(token, keys, issuer, clock);
    const { jti, sub, tenant, exp, iat } = claims;
    if (typeof jti !== 'string' || typeof sub !== 'string' || typeof tenant !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') {
      throw new TokenInvalid('token lacks required claims');
    }
    if (await directory.isRevoked(jti)) throw new TokenRevoked('token was revoked');
    return claims as VerifiedClaims;
  }

  return {
    sign(claims, ttlSeconds, header = {}) {
      const iat = unixSeconds(clock);
      const exp = iat + ttlSeconds;
      const jti = randomUUID();
      const token = signJwt({ ...claims, iss: issuer, iat, exp, jti }, keys.signing(), header);
      return { token, jti, iat, exp };
    },

    verify,

    async check(token) {
      try {
        return await verify(token);
      } catch (err) {
        if (err instanceof StoreUnavailable) throw err;
        return undefined;
      }
    },

    async revoke({ jti, exp }) {
      try {
        await store.revokeToken({ jti, expiresAt: exp });
      } finally {
        // Even on an error: the write may have landed (a lost acknowledgement), so tokens are looked up again.
        directory.noteRevoked();
      }
    },

    jwks: () => keys.jwks(),
  };
}

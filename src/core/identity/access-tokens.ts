/**
 * Access tokens of the HTTP dialects: JWTs signed with the gateway's ES256 key ring (the keys the
 * gRPC side uses), published as a JWKS so other services verify them offline. Every token names
 * its tenant. Verification allows ES256 only and honours revocations.
 */
import { randomUUID } from 'node:crypto';
import { TokenInvalid, TokenRevoked } from '../../errors';
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
  revoke(claims: Pick<VerifiedClaims, 'jti' | 'exp'>): Promise<void>;
  jwks(): { keys: Record<string, unknown>[] };
}

export function createAccessTokens(keys: KeyRing, directory: Directory, store: Store, clock: Clock, issuer: string): AccessTokens {
  return {
    sign(claims, ttlSeconds, header = {}) {
      const iat = unixSeconds(clock);
      const exp = iat + ttlSeconds;
      const jti = randomUUID();
      const token = signJwt({ ...claims, iss: issuer, iat, exp, jti }, keys.signing(), header);
      return { token, jti, iat, exp };
    },

    async verify(token) {
      const { claims } = verifyGatewayJwt(token, keys, issuer, clock);
      const { jti, sub, tenant, exp, iat } = claims;
      if (typeof jti !== 'string' || typeof sub !== 'string' || typeof tenant !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') {
        throw new TokenInvalid('token lacks required claims');
      }
      if (await directory.isRevoked(jti)) throw new TokenRevoked('token was revoked');
      return claims as VerifiedClaims;
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

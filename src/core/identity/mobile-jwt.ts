/**
 * The EDR mobile JWT: proof that the caller passed the account step, bound to that account.
 * HS256 with the store-kept KeyObject (a string secret makes jsonwebtoken ~50× slower); only this
 * gateway reads it back. Verification allows HS256 alone, and requires our audience, issuer and expiry.
 */
import { KeyObject, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TokenBindingMismatch, TokenExpired, TokenInvalid } from '../../errors';
import { Clock, unixSeconds } from '../clock';
import { HMAC_ALGORITHM } from '../key-ring';

export const MOBILE_AUDIENCE = 'edr-mobile';
export const MOBILE_JWT_TTL = 300;
const ALGORITHMS: jwt.Algorithm[] = [HMAC_ALGORITHM];

export interface MobileJwt {
  sign(userId: string): string;
  /** The account (userId) the token is bound to; throws TokenInvalid / TokenExpired / TokenBindingMismatch. */
  verify(token: string, userId: string | undefined): void;
}

/** `key` gives the current secret at each use (it changes with `keys rotate-hmac`). */
export function createMobileJwt(key: () => KeyObject, issuer: string, clock: Clock): MobileJwt {
  return {
    sign(userId) {
      const iat = unixSeconds(clock);
      const claims = { sub: userId, aud: MOBILE_AUDIENCE, iss: issuer, iat, exp: iat + MOBILE_JWT_TTL, jti: randomBytes(16).toString('base64url') };
      return jwt.sign(claims, key(), { algorithm: HMAC_ALGORITHM });
    },

    verify(token, userId) {
      let claims: jwt.JwtPayload;
      try {
        claims = jwt.verify(token, key(), { algorithms: ALGORITHMS, audience: MOBILE_AUDIENCE, issuer, clockTimestamp: unixSeconds(clock) }) as jwt.JwtPayload;
      } catch (cause) {
        if (cause instanceof jwt.TokenExpiredError) throw new TokenExpired('mobile jwt has expired', { cause });
        throw new TokenInvalid('mobile jwt signature or claims are invalid', { cause });
      }
      // jsonwebtoken treats exp as optional; ours always has it.
      if (typeof claims.exp !== 'number' || typeof claims.sub !== 'string' || typeof claims.jti !== 'string') {
        throw new TokenInvalid('mobile jwt lacks required claims');
      }
      if (claims.sub !== userId) throw new TokenBindingMismatch('mobile jwt was issued for another account');
    },
  };
}

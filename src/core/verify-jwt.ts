import jwt from 'jsonwebtoken';
import { TokenExpired, TokenInvalid } from '../errors';
import { Clock, unixSeconds } from './clock';
import { KeyRing, TOKEN_ALGORITHM } from './key-ring';

const ALGORITHMS: jwt.Algorithm[] = [TOKEN_ALGORITHM];

/**
 * Verifies a JWT of this gateway: key by `kid` (a retired key is unknown), ES256 only, issuer and
 * expiry; jsonwebtoken's errors become ours. Returns the claims and the kid that signed them.
 */
export function verifyGatewayJwt(token: string, keys: KeyRing, issuer: string, clock: Clock): { claims: jwt.JwtPayload; kid: string } {
  const decoded = jwt.decode(token, { complete: true });
  const kid = decoded?.header.kid;
  const key = typeof kid === 'string' ? keys.verifying(kid) : undefined;
  if (!key) throw new TokenInvalid('token is malformed or signed by an unknown key');
  try {
    return { claims: jwt.verify(token, key, { algorithms: ALGORITHMS, issuer, clockTimestamp: unixSeconds(clock) }) as jwt.JwtPayload, kid: kid as string };
  } catch (cause) {
    if (cause instanceof jwt.TokenExpiredError) throw new TokenExpired('token has expired', { cause });
    throw new TokenInvalid('token signature or claims are invalid', { cause });
  }
}

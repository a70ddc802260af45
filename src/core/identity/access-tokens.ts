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
import { createLru } from '../lru';
import { signJwt } from '../sign-jwt';
import { verifyGatewayJwt } from '../verify-jwt';
import { hashToken } from './token-hash';

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
  /**
   * Signature (ES256 only), issuer, expiry, revocation (asked of the store). Remembered by the token's
   * hash (give it when known): the signature is not checked again, the store is asked again only
   * after a revocation (here or elsewhere) moved the directory's revocation epoch. The claims are frozen.
   */
  verify(token: string, hash?: string): Promise<VerifiedClaims>;
  /** The claims of a token `verify` accepts, else undefined; a store that cannot answer still throws (a 503, not a bad token). */
  check(token: string, hash?: string): Promise<VerifiedClaims | undefined>;
  /**
   * The claims `verify` would answer from memory for the token of this hash, unasked and without a
   * promise: remembered, unexpired, its key still in the ring and no revocation since. Undefined
   * otherwise (then `check` or `verify` decides). For a hot path that can skip the awaits.
   */
  remembered(hash: string): VerifiedClaims | undefined;
  revoke(claims: Pick<VerifiedClaims, 'jti' | 'exp'>): Promise<void>;
  jwks(): { keys: Record<string, unknown>[] };
}

/** Tokens whose verification is remembered (least recently used forgotten first): memory flat in the number of tokens. */
export const VERIFIED_TOKENS_REMEMBERED = 10_000;

interface Verified {
  claims: VerifiedClaims;
  kid: string;
  /** The revocation epoch read before the store last said the token was not revoked. */
  revocationEpoch: number;
}

export function createAccessTokens(keys: KeyRing, directory: Directory, store: Store, clock: Clock, issuer: string): AccessTokens {
  // By the token's SHA-256 (no token kept; the claims are no secret). An entry is honoured while the
  // token is unexpired and its key still in the ring, and the revocation epoch tells whether the store
  // must be asked again: a signature once verified stays verified, a revocation can come at any time.
  const verified = createLru<string, Verified>(VERIFIED_TOKENS_REMEMBERED);

  async function notRevoked(claims: VerifiedClaims, kid: string, hash: string): Promise<VerifiedClaims> {
    // Read before asking: a revocation written meanwhile leaves the entry stale.
    const revocationEpoch = directory.revocationEpoch();
    if (await directory.isRevoked(claims.jti)) {
      verified.delete(hash);
      throw new TokenRevoked('token was revoked');
    }
    // A token not valid before some time (none of ours) is verified every time, by jsonwebtoken.
    if (claims.nbf === undefined) verified.set(hash, { claims, kid, revocationEpoch });
    return claims;
  }

  /** verify's answer from memory alone (the same rules), or undefined. */
  function remembered(hash: string): VerifiedClaims | undefined {
    const known = verified.get(hash);
    if (known === undefined || known.revocationEpoch !== directory.revocationEpoch()) return undefined;
    return known.claims.exp > unixSeconds(clock) && keys.verifying(known.kid) ? known.claims : undefined;
  }

  async function verify(token: string, hash = hashToken(token)): Promise<VerifiedClaims> {
    const known = verified.get(hash);
    if (known) {
      // jsonwebtoken's rule: expired from `exp` on. A retired key's tokens go to it again (and are refused).
      if (known.claims.exp > unixSeconds(clock) && keys.verifying(known.kid)) {
        return known.revocationEpoch === directory.revocationEpoch() ? known.claims : notRevoked(known.claims, known.kid, hash);
      }
      verified.delete(hash);
    }
    const { claims, kid } = verifyGatewayJwt(token, keys, issuer, clock);
    const { jti, sub, tenant, exp, iat } = claims;
    if (typeof jti !== 'string' || typeof sub !== 'string' || typeof tenant !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') {
      throw new TokenInvalid('token lacks required claims');
    }
    return notRevoked(Object.freeze(claims) as VerifiedClaims, kid, hash);
  }

  return {
    sign(claims, ttlSeconds, header) {
      const iat = unixSeconds(clock);
      const exp = iat + ttlSeconds;
      const jti = randomUUID();
      // Not `{ ...claims, iss, … }`: on Node 20 an object spread followed by new keys takes V8's slow
      // path, ~7 µs a token (measured), more than everything else here but the signature.
      const payload: Record<string, unknown> = Object.assign({}, claims);
      payload.iss = issuer;
      payload.iat = iat;
      payload.exp = exp;
      payload.jti = jti;
      const token = signJwt(payload, keys.signing(), header);
      return { token, jti, iat, exp };
    },

    verify,
    remembered,

    async check(token, hash) {
      try {
        return await verify(token, hash);
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

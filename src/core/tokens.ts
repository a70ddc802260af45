/**
 * Access tokens: JWTs signed with the key ring's ES256 key, bound to the client certificate
 * (RFC 8705 `cnf.x5t#S256`). Verification allows ES256 only and maps jsonwebtoken's errors to ours.
 */
import { randomFillSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TokenInvalid } from '../errors';
import { Clock, unixSeconds } from './clock';
import { KeyRing } from './key-ring';
import { VerifiedToken } from './peer';
import { signJwt } from './sign-jwt';
import { verifyGatewayJwt } from './verify-jwt';

const ID_BYTES = 16;
const idPool = Buffer.allocUnsafe(ID_BYTES * 256);
let idOffset = idPool.length;

/** A random 128-bit token ID in base64url (22 characters, against a UUID's 36); randomness is drawn 4 KiB at a time. */
export function newTokenId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return id;
}

export interface TokenClaims {
  iss: string;
  sub: string;
  tenant: string;
  role: VerifiedToken['role'];
  act?: { sub: string };
  /** The tenant's generation, absent when '' (tenants older than generations): see Directory.tenantGeneration. */
  tgen?: string;
  jti: string;
  iat: number;
  exp: number;
  cnf: { 'x5t#S256': string };
  /** Serial of the bound certificate (decimal), so introspection can tell it is blacklisted without the certificate. */
  cert_serial?: string;
}

export interface TokenServiceOptions {
  issuer: string;
  ttlSeconds: number;
  clock: Clock;
  keys: KeyRing;
}

export interface TokenRequest {
  subject: string;
  tenantId: string;
  role: VerifiedToken['role'];
  actor?: string;
  thumbprint: string;
  /** The tenant's generation ('' or absent: a tenant older than generations). */
  tenantGeneration?: string;
  /** Serial of the certificate the token is bound to. */
  certificateSerial?: bigint;
}

export interface IssuedToken {
  raw: string;
  /** What `verify` will make of it. */
  token: VerifiedToken;
}

export interface TokenService {
  issue(request: TokenRequest): string;
  /** `issue`, also returning the claims, so the caller need not verify what it just signed. */
  issueVerified(request: TokenRequest): IssuedToken;
  /** Signature, algorithm, issuer and expiry; returns the claims and the certificate binding. */
  verify(token: string): { token: VerifiedToken; thumbprint: string };
  /** Whether the key `kid` still verifies (false once retired). */
  keyKnown(kid: string): boolean;
}

export function createTokenService({ issuer, ttlSeconds, clock, keys }: TokenServiceOptions): TokenService {
  function issueVerified(request: TokenRequest): IssuedToken {
    const iat = unixSeconds(clock);
    const claims: TokenClaims = {
      iss: issuer,
      sub: request.subject,
      tenant: request.tenantId,
      role: request.role,
      ...(request.actor ? { act: { sub: request.actor } } : {}),
      ...(request.tenantGeneration ? { tgen: request.tenantGeneration } : {}),
      jti: newTokenId(),
      iat,
      exp: iat + ttlSeconds,
      cnf: { 'x5t#S256': request.thumbprint },
      ...(request.certificateSerial !== undefined ? { cert_serial: request.certificateSerial.toString() } : {}),
    };
    const key = keys.signing();
    return { raw: signJwt(claims, key), token: toVerified(claims, key.kid) };
  }

  return {
    issue: (request) => issueVerified(request).raw,
    issueVerified,

    verify(token) {
      const { claims, kid } = verifyGatewayJwt(token, keys, issuer, clock);
      return { token: toVerified(claims, kid), thumbprint: bindingOf(claims) };
    },

    keyKnown: (kid) => keys.verifying(kid) !== undefined,
  };
}

function toVerified(claims: jwt.JwtPayload, kid: string): VerifiedToken {
  const { jti, sub, tenant, role, exp, act, tgen = '' } = claims as Partial<TokenClaims>;
  if (
    typeof jti !== 'string' ||
    typeof tgen !== 'string' ||
    typeof sub !== 'string' ||
    typeof tenant !== 'string' ||
    (role !== 'administrator' && role !== 'tenant') ||
    typeof exp !== 'number'
  ) {
    throw new TokenInvalid('token lacks required claims');
  }
  return { jti, kid, subject: sub, tenantId: tenant, role, expiresAt: exp, tenantGeneration: tgen, ...(act?.sub ? { actor: act.sub } : {}) };
}

function bindingOf(claims: jwt.JwtPayload): string {
  const thumbprint = (claims as Partial<TokenClaims>).cnf?.['x5t#S256'];
  if (typeof thumbprint !== 'string') throw new TokenInvalid('token is not bound to a certificate');
  return thumbprint;
}

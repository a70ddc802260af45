/**
 * ES256 JWS compact serialization for the tokens this gateway issues, signed by node:crypto in one
 * call (P-256, IEEE P1363 signature as RFC 7518 §3.4 requires). jsonwebtoken's sign costs ~20 µs
 * more per token through its stream-based signer, and Login is bound by this signature. Every token
 * is still read back only through jsonwebtoken's verify (verify-jwt.ts), and the tests verify ours
 * with independent libraries.
 */
import { KeyObject, sign } from 'node:crypto';
import { TOKEN_ALGORITHM } from './key-ring';

const encodedHeaders = new Map<string, string>();

function encodedHeader(kid: string, extra?: Record<string, unknown>): string {
  const cacheKey = extra ? `${kid}|${JSON.stringify(extra)}` : kid;
  let header = encodedHeaders.get(cacheKey);
  if (!header) {
    // No default `typ` (RFC 7515 makes it optional): gRPC C++ clients resend the whole token, unindexed, on every call.
    header = Buffer.from(JSON.stringify({ ...extra, alg: TOKEN_ALGORITHM, kid })).toString('base64url');
    if (encodedHeaders.size > 64) encodedHeaders.clear();
    encodedHeaders.set(cacheKey, header);
  }
  return header;
}

export function signJwt(payload: object, key: { kid: string; privateKey: KeyObject }, headerExtra?: Record<string, unknown>): string {
  const input = `${encodedHeader(key.kid, headerExtra)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * Login with a token from an external identity provider (datarhei's "Auth0" login), with what the
 * original lacks: the audience is always checked, algorithms are allow-listed, `exp` is required and
 * bounded, and JWKS fetches time out, are cached, and are refetched for an unknown `kid` at most once
 * per interval. Reasons name what was wrong, never what was expected (the configured issuer and
 * audience are not told to whoever asks).
 */
import { createPublicKey, KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import jwt from 'jsonwebtoken';
import { Clock, unixSeconds } from '../clock';

export const IDP_ALGORITHMS: jwt.Algorithm[] = ['RS256', 'ES256'];
/** Auth0's default access-token lifetime; a token meant to be exchanged at once needs no more. */
export const DEFAULT_IDP_MAX_TOKEN_SECONDS = 86_400;

export interface IdpOptions {
  issuer: string;
  /** https:// URL or a file path. */
  jwks: string;
  audience: string;
  /** IdP subject → local username. */
  subjects: Map<string, string>;
  clock: Clock;
  /** Tokens whose `exp` lies further ahead than this are refused (a token without `exp` is refused too). */
  maxTokenSeconds?: number;
  fetchTimeoutMs?: number;
  cacheMs?: number;
  minRefetchMs?: number;
}

export type IdpResult = { ok: true; subject: string; username: string } | { ok: false; reason: string };

export interface ExternalIdp {
  verify(token: string): Promise<IdpResult>;
}

export function createExternalIdp(o: IdpOptions): ExternalIdp {
  const timeout = o.fetchTimeoutMs ?? 3000;
  const cacheMs = o.cacheMs ?? 10 * 60_000;
  const minRefetchMs = o.minRefetchMs ?? 30_000;
  const maxTokenSeconds = o.maxTokenSeconds ?? DEFAULT_IDP_MAX_TOKEN_SECONDS;
  let keys = new Map<string, KeyObject>();
  let fetchedAt = -Infinity;
  let inflight: Promise<void> | undefined;

  async function load(): Promise<void> {
    const text = /^https?:\/\//i.test(o.jwks)
      ? await fetch(o.jwks, { signal: AbortSignal.timeout(timeout) }).then((r) => {
          if (!r.ok) throw new Error(`JWKS answered ${r.status}`);
          return r.text();
        })
      : await readFile(o.jwks, 'utf8');
    const { keys: jwks } = JSON.parse(text) as { keys?: { kid?: string }[] };
    const next = new Map<string, KeyObject>();
    for (const jwk of jwks ?? []) {
      if (typeof jwk.kid !== 'string') continue;
      try {
        next.set(jwk.kid, createPublicKey({ key: jwk as never, format: 'jwk' }));
      } catch {
        // A key we cannot use (e.g. a symmetric one) is skipped.
      }
    }
    keys = next;
    fetchedAt = o.clock();
  }

  async function refresh(force: boolean): Promise<void> {
    const age = o.clock() - fetchedAt;
    if (!(force ? age >= minRefetchMs : age >= cacheMs)) return;
    inflight ??= load().finally(() => {
      inflight = undefined;
    });
    await inflight;
  }

  return {
    async verify(token) {
      const header = jwt.decode(token, { complete: true })?.header;
      if (!header || typeof header.kid !== 'string') return { ok: false, reason: 'token is not a JWT with a kid' };
      try {
        await refresh(false);
        if (!keys.has(header.kid)) await refresh(true);
      } catch {
        if (keys.size === 0) return { ok: false, reason: 'identity provider keys are unavailable' };
      }
      const key = keys.get(header.kid);
      if (!key) return { ok: false, reason: 'unknown kid' };
      const now = unixSeconds(o.clock);
      let claims: jwt.JwtPayload;
      try {
        claims = jwt.verify(token, key, { algorithms: IDP_ALGORITHMS, issuer: o.issuer, audience: o.audience, clockTimestamp: now }) as jwt.JwtPayload;
      } catch (err) {
        return { ok: false, reason: rejection(err) };
      }
      // jsonwebtoken accepts a token without `exp` as valid forever.
      if (typeof claims.exp !== 'number') return { ok: false, reason: 'token has no expiry (exp)' };
      if (claims.exp - now > maxTokenSeconds) return { ok: false, reason: 'token expiry (exp) is too far ahead' };
      const subject = claims.sub;
      const username = typeof subject === 'string' ? o.subjects.get(subject) : undefined;
      if (!subject || !username) return { ok: false, reason: 'user not allowed' };
      return { ok: true, subject, username };
    },
  };
}

/** jsonwebtoken's messages name the expected issuer and audience: only the kind of failure goes out. */
function rejection(err: unknown): string {
  if (err instanceof jwt.TokenExpiredError) return 'token has expired';
  if (err instanceof jwt.NotBeforeError) return 'token is not valid yet';
  const message = err instanceof Error ? err.message : '';
  if (message.startsWith('jwt audience invalid')) return 'invalid token: audience not accepted';
  if (message.startsWith('jwt issuer invalid')) return 'invalid token: issuer not accepted';
  if (message === 'invalid signature') return 'invalid token: bad signature';
  if (message === 'invalid algorithm') return 'invalid token: algorithm not allowed';
  return 'invalid token';
}

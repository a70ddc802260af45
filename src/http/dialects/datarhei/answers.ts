/** datarhei Core's wire shapes: the claims of its tokens (the core signs them) and its answers. */
import { Issued, LoginProfile, Session } from '../../../core/identity/login-profile';

export const ACCESS_TTL = 600;
export const REFRESH_TTL = 86_400;
const VERSION = '16.0.0';

/** datarhei's claims: `sub` is whom the login named (the username, or the IdP's subject); `usefor` and `exi` as datarhei sets them. */
const claims = ({ user, subject }: Session, usefor: 'access' | 'refresh', exi: number) => ({ sub: subject, tenant: user.tenantId, uid: user.userId, usefor, exi });

/** Refresh tokens are reusable JWTs: datarhei clients keep the one they got at login for its whole 24 h. */
export const PROFILE: LoginProfile<'access'> = {
  dialect: 'datarhei',
  access: (s) => ({ access: { claims: claims(s, 'access', ACCESS_TTL), ttlSeconds: ACCESS_TTL } }),
  refresh: { rotating: false, ttlSeconds: REFRESH_TTL, jwt: (s) => ({ claims: claims(s, 'refresh', REFRESH_TTL), ttlSeconds: REFRESH_TTL }) },
};

export const loginAnswer = (issued: Issued<'access'>) => ({ access_token: issued.access.access, refresh_token: issued.refreshToken });

export const refreshAnswer = (issued: Issued<'access'>) => ({ access_token: issued.access.access });

/** GET /api: datarhei's shape, but nothing about the host (a runtime version only helps an attacker pick an exploit). */
export function about(externalLogin: boolean) {
  return {
    app: 'datarhei-core',
    auths: ['localjwt', ...(externalLogin ? ['auth0'] : [])],
    version: { number: VERSION, repository_commit: '', repository_branch: '', build_date: '', arch: '', compiler: '' },
  };
}

/** GET /api for a caller with a good access token: this instance too. */
export function aboutInstance(externalLogin: boolean, id: string, startedAt: number, now: number) {
  return {
    ...about(externalLogin),
    name: 'master-gateway',
    id,
    created_at: new Date(startedAt).toISOString(),
    uptime_seconds: Math.floor((now - startedAt) / 1000),
  };
}

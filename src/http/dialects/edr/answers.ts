/** The EDR mobile API's wire shapes: the claims of its access token (the core signs it), its envelope and its answers. */
import { FastifyReply } from 'fastify';
import { Clock } from '../../../core/clock';
import { Issued, LoginProfile } from '../../../core/identity/login-profile';
import { UserRecord } from '../../../store/store';

export const ACCESS_TTL = 3600;
export const REFRESH_TTL = 30 * 86_400;

/** Refresh tokens rotate: each refresh spends the one presented and returns the next of the same family. */
export const PROFILE: LoginProfile<'access'> = {
  dialect: 'edr',
  access: ({ user }) => ({
    access: { claims: { sub: user.userId, uid: user.userId, tenant: user.tenantId, username: user.username }, ttlSeconds: ACCESS_TTL, header: { typ: 'access' } },
  }),
  refresh: { rotating: true, ttlSeconds: REFRESH_TTL },
};

/** The EDR envelope's timestamp, from the injected clock. */
export const timestamp = (clock: Clock) => new Date(clock()).toISOString();

/** The EDR envelope of a success: `{response: {code: 200, timestamp, …extra}, data}`. */
export function ok(reply: FastifyReply, clock: Clock, data: unknown, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.code(200).send({ response: { code: 200, timestamp: timestamp(clock), ...extra }, data });
}

/** The user object of the EDR login answer; in this project the EDR account is the tenant. */
export function userView(user: UserRecord) {
  return {
    aid: user.tenantId,
    firstName: user.firstName,
    lastName: user.lastName,
    username: user.username,
    email: user.email,
    cid: user.tenantId,
    name: `${user.firstName} ${user.lastName}`.trim(),
    fromMobile: true,
    edrAccount: user.tenantId,
    _id: user.userId,
  };
}

export const loginAnswer = (issued: Issued<'access'>) => ({ accessToken: issued.access.access, refreshToken: issued.refreshToken, user: userView(issued.user) });

export const refreshAnswer = (issued: Issued<'access'>) => ({ accessToken: issued.access.access, refreshToken: issued.refreshToken });

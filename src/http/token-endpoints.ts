/**
 * For resource servers: the JWKS (verify offline), RFC 7662 introspection and RFC 7009 revocation
 * (ask us). Introspection and revocation need HTTP Basic client credentials from
 * GATEWAY_INTROSPECTION_CLIENTS, compared in constant time; only GATEWAY_REVOCATION_CLIENTS revoke.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { unixSeconds } from '../core/clock';
import { hashToken } from '../core/identity/refresh-tokens';
import { createTokenStanding } from '../core/identity/token-standing';
import { StoreUnavailable } from '../errors';
import { DialectContext } from './dialect';
import * as schemas from './token-endpoint-schemas';

const digest = (s: string) => createHash('sha256').update(s).digest();

function clientAuthenticator(entries: readonly string[]) {
  const clients = new Map(entries.map((e) => [e.slice(0, e.indexOf(':')), digest(e.slice(e.indexOf(':') + 1))]));
  const decoy = digest('decoy');
  return (req: FastifyRequest): string | undefined => {
    const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    let id: string;
    let secret: string;
    try {
      id = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    } catch {
      return undefined;
    }
    const expected = clients.get(id);
    // Always one comparison, whether or not the client exists.
    const same = timingSafeEqual(digest(secret), expected ?? decoy);
    return same && expected ? id : undefined;
  };
}

const unauthorizedClient = (reply: FastifyReply) =>
  reply.code(401).header('www-authenticate', 'Basic realm="master-gateway"').send({ error: 'invalid_client' });

export function registerTokenEndpoints(app: FastifyInstance, ctx: DialectContext): void {
  const { identity, store, clock } = ctx.core;
  const authenticateClient = clientAuthenticator(ctx.config.introspectionClients);
  const standing = createTokenStanding({
    store,
    directory: ctx.core.directory,
    access: identity.access,
    refresh: identity.refresh,
    users: identity.users,
    revocationClients: ctx.config.revocationClients,
  });

  app.get('/.well-known/jwks.json', { schema: schemas.jwks }, async (_req, reply) => reply.header('cache-control', 'public, max-age=300').send(identity.access.jwks()));

  // attachValidation: the client's credentials are checked first (401), then the form (400).
  app.post('/oauth2/introspect', { schema: schemas.introspect, attachValidation: true }, async (req, reply) => {
    const client = authenticateClient(req);
    if (!client) return unauthorizedClient(reply);
    if (req.validationError) return reply.code(400).send({ error: 'invalid_request', error_description: 'token is required (application/x-www-form-urlencoded)' });
    const { token } = req.body as schemas.TokenForm;
    // Refresh tokens first (some are JWTs too): they are known by their hash.
    const record = await store.findRefreshToken(hashToken(token));
    if (record) {
      const user = await identity.users.active(record.userId);
      const live = user && record.revokedAt === null && record.expiresAt > unixSeconds(clock) && !(record.rotating && record.usedAt !== null);
      if (!live) return reply.send({ active: false });
      return reply.send({ active: true, token_type: 'refresh_token', sub: user.userId, username: user.username, tenant: user.tenantId, iat: record.issuedAt, exp: record.expiresAt, client_id: client });
    }
    let claims;
    try {
      claims = await identity.access.verify(token);
    } catch (err) {
      if (err instanceof StoreUnavailable) throw err;
      return reply.send({ active: false });
    }
    if (!(await ctx.core.directory.hasTenant(claims.tenant))) return reply.send({ active: false });
    // gRPC tokens are bound to a client certificate and name no user; HTTP tokens name theirs (uid, else sub).
    if (claims.cnf && !(await standing.boundTokenInForce(claims))) return reply.send({ active: false });
    const user = claims.cnf ? undefined : await identity.users.active(typeof claims.uid === 'string' ? claims.uid : claims.sub);
    if (!claims.cnf && (!user || user.tenantId !== claims.tenant)) return reply.send({ active: false });
    return reply.send({
      active: true,
      token_type: claims.token_use === 'id' ? 'id_token' : 'access_token',
      sub: claims.sub,
      username: user?.username,
      tenant: claims.tenant,
      iss: claims.iss,
      iat: claims.iat,
      exp: claims.exp,
      jti: claims.jti,
      client_id: client,
      // RFC 8705 §3.2: the certificate the token is bound to.
      ...(claims.cnf ? { cnf: claims.cnf } : {}),
    });
  });

  app.post('/oauth2/revoke', { schema: schemas.revoke, attachValidation: true }, async (req, reply) => {
    const client = authenticateClient(req);
    if (!client) return unauthorizedClient(reply);
    if (req.validationError) return reply.code(400).send({ error: 'invalid_request', error_description: 'token is required (application/x-www-form-urlencoded)' });
    const { token } = req.body as schemas.TokenForm;
    const outcome = await standing.revoke(client, token);
    if (outcome === 'refused') {
      await identity.audit({ event: 'revocation', outcome: 'failure', dialect: 'oauth2', address: req.ip, detail: `${client} may not revoke this token` });
      // RFC 7009 §2.1/§2.2.1: refused with an RFC 6749 §5.2 error; the token stays in force.
      return reply.code(400).send({ error: 'unauthorized_client', error_description: 'this client may revoke only tokens issued to it; this one was not' });
    }
    // RFC 7009 §2.2: the answer is the same whether or not the token was known.
    await identity.audit({ event: 'revocation', outcome: 'success', dialect: 'oauth2', address: req.ip, detail: `${outcome} token revoked by ${client}` });
    return reply.code(200).send();
  });
}

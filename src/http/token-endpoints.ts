/**
 * For resource servers: the JWKS (verify offline), RFC 7662 introspection and RFC 7009 revocation
 * (ask us). Introspection and revocation need HTTP Basic client credentials from
 * GATEWAY_INTROSPECTION_CLIENTS, compared in constant time; only GATEWAY_REVOCATION_CLIENTS revoke.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Introspection } from '../core/identity/introspection';
import { DialectContext } from './dialect';
import { ErrorTable, refusalOf } from './error-table';
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

const tokenRequired = (reply: FastifyReply) =>
  reply.code(400).send({ error: 'invalid_request', error_description: 'token is required (application/x-www-form-urlencoded)' });

/** RFC 6749 §5.2 errors, by core code: RFC 7009 §2.2.1 refuses a revocation so; the token stays in force. */
const OAUTH_ERRORS: ErrorTable<{ status: number; error: string; description: string }> = {
  ERR_PERMISSION_DENIED: { status: 400, error: 'unauthorized_client', description: 'this client may revoke only tokens issued to it; this one was not' },
};

/** RFC 7662 §2.2's answer for what the core found. */
function introspectionAnswer(found: Introspection, client: string) {
  if (!found.active) return { active: false };
  if (found.kind === 'refresh') {
    const { user, record } = found;
    return { active: true, token_type: 'refresh_token', sub: user.userId, username: user.username, tenant: user.tenantId, iat: record.issuedAt, exp: record.expiresAt, client_id: client };
  }
  const { claims, user } = found;
  return {
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
  };
}

export function registerTokenEndpoints(app: FastifyInstance, ctx: DialectContext): void {
  const { identity } = ctx;
  const authenticateClient = clientAuthenticator(ctx.config.introspectionClients);

  app.get('/.well-known/jwks.json', { schema: schemas.jwks }, async (_req, reply) => reply.header('cache-control', 'public, max-age=300').send(identity.jwks()));

  // attachValidation: the client's credentials are checked first (401), then the form (400).
  app.post('/oauth2/introspect', { schema: schemas.introspect, attachValidation: true }, async (req, reply) => {
    const client = authenticateClient(req);
    if (!client) return unauthorizedClient(reply);
    if (req.validationError) return tokenRequired(reply);
    const { token } = req.body as schemas.TokenForm;
    return reply.send(introspectionAnswer(await identity.introspect(token), client));
  });

  app.post('/oauth2/revoke', { schema: schemas.revoke, attachValidation: true }, async (req, reply) => {
    const client = authenticateClient(req);
    if (!client) return unauthorizedClient(reply);
    if (req.validationError) return tokenRequired(reply);
    const { token } = req.body as schemas.TokenForm;
    try {
      await identity.revoke(client, token, req.ip);
    } catch (err) {
      const { row } = refusalOf(OAUTH_ERRORS, err);
      return reply.code(row.status).send({ error: row.error, error_description: row.description });
    }
    // RFC 7009 §2.2: the answer is the same whether or not the token was known.
    return reply.code(200).send();
  });
}

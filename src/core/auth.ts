/**
 * The identity core of the gRPC door: certificate logins, token checks on every call, logout.
 * Works on a Peer (the connection's verified client certificate); knows nothing of grpc-js.
 */
import {
  CertificateBlacklisted,
  CertificateExpired,
  CertificateMismatch,
  CertificateNotYetValid,
  CertificateUntrusted,
  InvalidCertificate,
  PermissionDenied,
  TenantNotFound,
  TokenBindingMismatch,
  TokenExpired,
  TokenMissing,
  TokenRevoked,
  Unauthenticated,
} from '../errors';
import { checkId } from '../pki/ids';
import { ADMIN_TENANT, CertIdentity } from '../pki/profile';
import { parsePemCertificate, pemEncodes } from '../pki/read-certificate';
import { Store } from '../store/store';
import { Clock, unixSeconds } from './clock';
import { Directory } from './directory';
import { MAX_TOKENS_PER_PEER, Peer, VerifiedToken } from './peer';
import { TokenService } from './tokens';

export interface Auth {
  login(peer: Peer | undefined, tenantCert: unknown): string;
  loginAdmin(peer: Peer | undefined, adminTenantCert: unknown, tenantId: unknown): string;
  /** Checks the `token` credential of a protected call; cheap once a token was seen on the connection. */
  authenticate(peer: Peer | undefined, token: string | undefined): VerifiedToken;
  logout(peer: Peer | undefined, token: string | undefined): Promise<VerifiedToken>;
  /** Trust, validity window and blacklist of the connection's certificate (re-checked on every call). */
  checkStanding(peer: Peer): void;
  /** The peer's certificate as a client identity, after every check Login makes. */
  checkClientCertificate(peer: Peer | undefined, pem: unknown, field: string): CertIdentity;
}

export interface AuthDeps {
  clock: Clock;
  directory: Directory;
  tokens: TokenService;
  store: Store;
}

export function createAuth({ clock, directory, tokens, store }: AuthDeps): Auth {
  function requirePeer(peer: Peer | undefined): Peer {
    if (!peer) throw new Unauthenticated('no verified client certificate on this connection');
    return peer;
  }

  /** Trust, validity window and blacklist of the connection's certificate; re-checked on every call. */
  function checkPeerStanding(peer: Peer): void {
    if (!peer.trusted) throw new CertificateUntrusted('client certificate is not signed by this gateway\'s CA');
    const now = clock();
    if (now < peer.notBefore) throw new CertificateNotYetValid(`client certificate is not valid before ${new Date(peer.notBefore).toISOString()}`);
    if (now > peer.notAfter) throw new CertificateExpired(`client certificate expired at ${new Date(peer.notAfter).toISOString()}`);
    if (directory.isBlacklisted(peer.serial)) throw new CertificateBlacklisted('client certificate is blacklisted');
  }

  function checkClientCertificate(maybePeer: Peer | undefined, pem: unknown, field: string): CertIdentity {
    const peer = requirePeer(maybePeer);
    if (pem !== peer.knownPem && !pemEncodes(pem, peer.cert.raw)) {
      const cert = parsePemCertificate(pem, field);
      if (cert.ca) throw new InvalidCertificate(`${field} is a CA certificate, not a client certificate`);
      if (!cert.raw.equals(peer.cert.raw)) {
        throw new CertificateMismatch(`${field} is not the certificate this connection presented in the TLS handshake`);
      }
    }
    peer.knownPem = pem as string;
    if ('problem' in peer.identity) throw new InvalidCertificate(`${field} ${peer.identity.problem}`);
    checkPeerStanding(peer);
    return peer.identity;
  }

  function requireTenant(tenantId: string): void {
    if (!directory.hasTenant(tenantId)) throw new TenantNotFound(`tenant ${tenantId} is not registered`);
  }

  function cacheToken(peer: Peer, raw: string, verified: VerifiedToken): void {
    if (peer.tokens.size >= MAX_TOKENS_PER_PEER) peer.tokens.delete(peer.tokens.keys().next().value as string);
    peer.tokens.set(raw, verified);
  }

  function authenticate(maybePeer: Peer | undefined, raw: string | undefined): VerifiedToken {
    const peer = requirePeer(maybePeer);
    if (!raw) throw new TokenMissing('this call needs a token: call Login first and send it as metadata "token"');
    let verified = peer.tokens.get(raw);
    if (!verified) {
      const result = tokens.verify(raw);
      if (result.thumbprint !== peer.thumbprint) {
        throw new TokenBindingMismatch('token was issued to another client certificate');
      }
      verified = result.token;
      cacheToken(peer, raw, verified);
    }
    if (unixSeconds(clock) >= verified.expiresAt) throw new TokenExpired('token has expired');
    if (directory.isRevoked(verified.jti)) throw new TokenRevoked('token was revoked (logged out)');
    if (!directory.hasTenant(verified.tenantId)) throw new TokenRevoked(`tenant ${verified.tenantId} is no longer registered`);
    checkPeerStanding(peer);
    return verified;
  }

  return {
    checkStanding: checkPeerStanding,
    checkClientCertificate,
    authenticate,

    login(peer, tenantCert) {
      const identity = checkClientCertificate(peer, tenantCert, 'tenantCert');
      if (identity.kind === 'gateway') {
        throw new InvalidCertificate('tenantCert is a device gateway certificate; device gateways call Master.Subscribe');
      }
      requireTenant(identity.tenantId);
      const role = identity.kind === 'admin' ? 'administrator' : 'tenant';
      return tokens.issue({ subject: identity.tenantId, tenantId: identity.tenantId, role, thumbprint: peer!.thumbprint });
    },

    loginAdmin(peer, adminTenantCert, tenantIdInput) {
      const tenantId = checkId(tenantIdInput, 'tenantID');
      const identity = checkClientCertificate(peer, adminTenantCert, 'adminTenantCert');
      if (identity.kind !== 'admin') throw new PermissionDenied('adminTenantCert is not the administrator certificate');
      requireTenant(tenantId);
      const acting = tenantId !== ADMIN_TENANT;
      return tokens.issue({
        subject: ADMIN_TENANT,
        tenantId,
        role: acting ? 'tenant' : 'administrator',
        ...(acting ? { actor: ADMIN_TENANT } : {}),
        thumbprint: peer!.thumbprint,
      });
    },

    async logout(peer, raw) {
      const verified = authenticate(peer, raw);
      await store.revokeToken({ jti: verified.jti, expiresAt: verified.expiresAt });
      directory.noteRevoked(verified.jti, verified.expiresAt);
      return verified;
    },
  };
}

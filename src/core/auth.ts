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
  GatewayError,
} from '../errors';
import { checkId } from '../pki/ids';
import { ADMIN_TENANT, CertIdentity } from '../pki/profile';
import { parsePemCertificate, pemEncodes } from '../pki/read-certificate';
import { Store } from '../store/store';
import { Clock, unixSeconds } from './clock';
import { Directory } from './directory';
import { CoreMetrics, NO_METRICS } from './metrics';
import { CachedToken, ClientCertificate, MAX_TOKENS_PER_PEER, Peer, VerifiedToken } from './peer';
import { createTokenChecks, LOGGED_OUT } from './token-checks';
import { TokenRequest, TokenService } from './tokens';

export interface Auth {
  /** A string when the tenant is in the directory's cache, else a promise (the store is asked). */
  login(peer: Peer | undefined, tenantCert: unknown): string | Promise<string>;
  loginAdmin(peer: Peer | undefined, adminTenantCert: unknown, tenantId: unknown): string | Promise<string>;
  /**
   * Checks the `token` credential of a protected call. Synchronous and cheap once the token was seen on
   * the connection and no revocation or tenant change happened since; otherwise a promise (the store is asked).
   */
  authenticate(peer: Peer | undefined, token: string | undefined): VerifiedToken | Promise<VerifiedToken>;
  logout(peer: Peer | undefined, token: string | undefined): Promise<VerifiedToken>;
  /** Trust, validity window and blacklist of the connection's certificate (re-checked on every call). */
  checkStanding(peer: Peer): void;
  /** The peer's certificate as a client identity, after every check Login makes. */
  checkClientCertificate(peer: Peer | undefined, pem: unknown, field: string): CertIdentity;
  /**
   * Why a TLS connection presenting this certificate is dropped at the handshake, or undefined. A
   * certificate of our CA that is only outside its validity window is let in, so Login can say why.
   * The error is not thrown: its code and message are what the door logs.
   */
  admissionRefusal(certificate: ClientCertificate): GatewayError | undefined;
  /**
   * What every call except Login, LoginAdmin and Logout needs of its connection (health and reflection
   * included): a client certificate that names a client and is in standing. An expired certificate
   * reaches Login only.
   */
  checkConnection(peer: Peer | undefined): void;
}

export interface AuthDeps {
  clock: Clock;
  directory: Directory;
  tokens: TokenService;
  store: Store;
  /** Counts token checks by where they were answered (/metrics); none by default. */
  metrics?: CoreMetrics;
}

/** Base64 with line breaks is ~1.37× the DER; the factor leaves room for CRLFs and spaces. */
const KNOWN_PEM_MAX_FACTOR = 2;

export function createAuth({ clock, directory, tokens, store, metrics = NO_METRICS }: AuthDeps): Auth {
  const checks = createTokenChecks(directory, tokens.keyKnown);
  const counts = metrics.tokenChecks;

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
    if (pem !== peer.cert.knownPem && !pemEncodes(pem, peer.cert.raw)) {
      const cert = parsePemCertificate(pem, field);
      if (cert.ca) throw new InvalidCertificate(`${field} is a CA certificate, not a client certificate`);
      if (!cert.raw.equals(peer.cert.raw)) {
        throw new CertificateMismatch(`${field} is not the certificate this connection presented in the TLS handshake`);
      }
    }
    // Remembered for the next Login with this certificate; not a text padded far past a certificate's size.
    if ((pem as string).length <= KNOWN_PEM_MAX_FACTOR * peer.cert.raw.length + 256) peer.cert.knownPem = pem as string;
    if ('problem' in peer.identity) throw new InvalidCertificate(`${field} ${peer.identity.problem}`);
    checkPeerStanding(peer);
    return peer.identity;
  }

  const notRegistered = (tenantId: string) => new TenantNotFound(`tenant ${tenantId} is not registered`);

  /** `then()` once the tenant is known to be registered (with its generation): at once on a cache hit, else when the store has answered. */
  function withTenant<T>(tenantId: string, then: (tenantsEpoch: number, generation: string) => T): T | Promise<T> {
    const epoch = directory.tenantsEpoch();
    const known = directory.tenantGeneration(tenantId);
    if (typeof known === 'string') return then(epoch, known);
    if (known === undefined) throw notRegistered(tenantId);
    return known.then((generation) => {
      if (generation === undefined) throw notRegistered(tenantId);
      return then(epoch, generation);
    });
  }

  function issue(request: TokenRequest, tenantsEpoch: number): string {
    const issued = tokens.issueVerified(request);
    checks.issued(issued.token, tenantsEpoch);
    return issued.raw;
  }

  function verifyOnPeer(peer: Peer, raw: string): CachedToken {
    const result = tokens.verify(raw);
    if (result.thumbprint !== peer.thumbprint) {
      throw new TokenBindingMismatch('token was issued to another client certificate');
    }
    const cached = checks.entry(result.token);
    if (peer.tokens.size >= MAX_TOKENS_PER_PEER) peer.tokens.delete(peer.tokens.keys().next().value as string);
    peer.tokens.set(raw, cached);
    return cached;
  }

  function inStanding(peer: Peer, token: VerifiedToken): VerifiedToken {
    checkPeerStanding(peer);
    return token;
  }

  /**
   * The warm path (a token seen on this connection, no revocation or tenant change since) is
   * synchronous and touches nothing but memory; otherwise the checks that went stale are made again.
   */
  function authenticate(maybePeer: Peer | undefined, raw: string | undefined): VerifiedToken | Promise<VerifiedToken> {
    const peer = requirePeer(maybePeer);
    if (!raw) throw new TokenMissing('this call needs a token: call Login first and send it as metadata "token"');
    const last = peer.lastToken;
    let cached: CachedToken;
    if (last !== undefined && last.raw === raw) cached = last.cached;
    else {
      cached = peer.tokens.get(raw) ?? verifyOnPeer(peer, raw);
      peer.lastToken = { raw, cached };
    }
    if (unixSeconds(clock) >= cached.token.expiresAt) throw new TokenExpired('token has expired');
    if (cached.revoked) throw new TokenRevoked(LOGGED_OUT);
    // The connection's own certificate first: a refused one costs no store lookup.
    checkPeerStanding(peer);
    // Compared here, not in a token-checks helper: that call measured ~30 ns, a third more on this path.
    if (cached.revocationEpoch !== directory.revocationEpoch() || cached.tenantsEpoch !== directory.tenantsEpoch()) {
      const pending = checks.recheck(cached);
      if (pending instanceof Promise) {
        counts.store++;
        return pending.then(() => inStanding(peer, cached.token));
      }
    }
    counts.memory++;
    return cached.token;
  }

  function admissionRefusal(certificate: ClientCertificate): GatewayError | undefined {
    if (!certificate.trusted) return new CertificateUntrusted('not issued directly by this gateway\'s CA');
    if (certificate.isCa) return new CertificateUntrusted('a CA certificate, not a client certificate');
    if (directory.isBlacklisted(certificate.serial)) return new CertificateBlacklisted('blacklisted');
    return undefined;
  }

  function checkConnection(maybePeer: Peer | undefined): void {
    const peer = requirePeer(maybePeer);
    if ('problem' in peer.identity) throw new Unauthenticated(`client certificate ${peer.identity.problem}`);
    checkPeerStanding(peer);
  }

  return {
    admissionRefusal,
    checkConnection,
    checkStanding: checkPeerStanding,
    checkClientCertificate,
    authenticate,

    login(peer, tenantCert) {
      const identity = checkClientCertificate(peer, tenantCert, 'tenantCert');
      if (identity.kind === 'gateway') {
        throw new InvalidCertificate('tenantCert is a device gateway certificate; device gateways call Master.Subscribe');
      }
      const role = identity.kind === 'admin' ? 'administrator' : 'tenant';
      return withTenant(identity.tenantId, (epoch, tenantGeneration) =>
        issue({ subject: identity.tenantId, tenantId: identity.tenantId, role, thumbprint: peer!.thumbprint, certificateSerial: peer!.serial, tenantGeneration }, epoch),
      );
    },

    loginAdmin(peer, adminTenantCert, tenantIdInput) {
      const tenantId = checkId(tenantIdInput, 'tenantID');
      const identity = checkClientCertificate(peer, adminTenantCert, 'adminTenantCert');
      if (identity.kind !== 'admin') throw new PermissionDenied('adminTenantCert is not the administrator certificate');
      const acting = tenantId !== ADMIN_TENANT;
      return withTenant(tenantId, (epoch, tenantGeneration) =>
        issue(
          {
            subject: ADMIN_TENANT,
            tenantId,
            role: acting ? 'tenant' : 'administrator',
            ...(acting ? { actor: ADMIN_TENANT } : {}),
            thumbprint: peer!.thumbprint,
            certificateSerial: peer!.serial,
            tenantGeneration,
          },
          epoch,
        ),
      );
    },

    async logout(peer, raw) {
      const verified = await authenticate(peer, raw);
      try {
        await store.revokeToken({ jti: verified.jti, expiresAt: verified.expiresAt });
      } finally {
        // Even on an error: the write may have landed (a lost acknowledgement), so tokens are looked up again.
        directory.noteRevoked();
      }
      return verified;
    },
  };
}

/**
 * One error hierarchy for the whole gateway. Each failure has a stable `code`; the table at the
 * bottom is the only place that maps codes to gRPC and HTTP statuses. `cause` goes to the log,
 * never to the client.
 */
import { status } from '@grpc/grpc-js';

export type ErrorCode = keyof typeof ERROR_TABLE;

export class GatewayError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

const define = (code: ErrorCode) =>
  class extends GatewayError {
    constructor(message: string, options?: { cause?: unknown }) {
      super(code, message, options);
    }
  };

export class InvalidArgument extends define('ERR_INVALID_ARGUMENT') {}
export class InvalidCertificate extends define('ERR_INVALID_CERTIFICATE') {}
export class Unauthenticated extends define('ERR_UNAUTHENTICATED') {}
export class CertificateMismatch extends define('ERR_CERT_NOT_PEER') {}
export class CertificateExpired extends define('ERR_CERT_EXPIRED') {}
export class CertificateNotYetValid extends define('ERR_CERT_NOT_YET_VALID') {}
export class CertificateUntrusted extends define('ERR_CERT_UNTRUSTED') {}
export class CertificateBlacklisted extends define('ERR_CERT_BLACKLISTED') {}
export class TokenMissing extends define('ERR_TOKEN_MISSING') {}
export class TokenInvalid extends define('ERR_TOKEN_INVALID') {}
export class TokenExpired extends define('ERR_TOKEN_EXPIRED') {}
export class TokenRevoked extends define('ERR_TOKEN_REVOKED') {}
export class TokenBindingMismatch extends define('ERR_TOKEN_BINDING') {}
export class PermissionDenied extends define('ERR_PERMISSION_DENIED') {}
export class TenantNotFound extends define('ERR_TENANT_NOT_FOUND') {}
export class GatewayNotFound extends define('ERR_GATEWAY_NOT_FOUND') {}
export class CertificateNotFound extends define('ERR_CERT_NOT_FOUND') {}
export class AlreadyExists extends define('ERR_ALREADY_EXISTS') {}
export class FailedPrecondition extends define('ERR_FAILED_PRECONDITION') {}
export class ResourceExhausted extends define('ERR_RESOURCE_EXHAUSTED') {}
export class NoCaKey extends define('ERR_NO_CA_KEY') {}
export class SessionNotFound extends define('ERR_SESSION_NOT_FOUND') {}
export class UserNotFound extends define('ERR_USER_NOT_FOUND') {}
export class RoleNotFound extends define('ERR_ROLE_NOT_FOUND') {}
export class InvalidCredentials extends define('ERR_INVALID_CREDENTIALS') {}
/** The password was right, but the user must choose a new one first (only a dialect with a challenge flow lets them). */
export class PasswordChangeRequired extends InvalidCredentials {}
/** A refusal that says when to come back (Retry-After). */
const defineRetryLater = (code: ErrorCode) =>
  class extends GatewayError {
    constructor(
      message: string,
      readonly retryAfterSeconds: number,
    ) {
      super(code, message);
    }
  };

export class TooManyAttempts extends defineRetryLater('ERR_TOO_MANY_ATTEMPTS') {}
export class StoreUnavailable extends define('ERR_STORE_UNAVAILABLE') {}
export class ConfigInvalid extends define('ERR_CONFIG_INVALID') {}
/** What the configuration points at is not there (no CA, no database) and is not ours to make afresh. */
export class NotInitialized extends define('ERR_NOT_INITIALIZED') {}
export class Internal extends define('ERR_INTERNAL') {}
/** A data or certificate directory, database or secret file that others than the owner may read. */
export class InsecurePermissions extends define('ERR_INSECURE_PERMISSIONS') {}
/** No system secret given, or the stored secrets were encrypted under one that is not given. */
export class SecretMissing extends define('ERR_SECRET_MISSING') {}
/** A system secret too short, or an encrypted value that fails its integrity check. */
export class SecretInvalid extends define('ERR_SECRET_INVALID') {}
export class SigningKeyNotFound extends define('ERR_KEY_NOT_FOUND') {}
/** A per-tenant bound (gateways per tenant) would be passed; nothing was changed. */
export class QuotaExceeded extends define('ERR_QUOTA_EXCEEDED') {}
/** Too many requests of one kind from one caller (a tenant issuing certificates, an address sending junk). */
export class RateLimited extends defineRetryLater('ERR_RATE_LIMITED') {}
/** The installed grpc-js no longer offers what the gRPC door relies on (src/grpc/grpc-internals.ts): refuse to start. */
export class GrpcJsIncompatible extends define('ERR_GRPC_JS_INCOMPATIBLE') {}
/** A listener could not bind at start (port taken, no permission): the process must not run half-started. */
export class ListenFailed extends define('ERR_LISTEN_FAILED') {}

/** code → [gRPC status, HTTP status]. The gRPC adapter and the HTTP error handler are its only readers. */
export const ERROR_TABLE = {
  ERR_INVALID_ARGUMENT: [status.INVALID_ARGUMENT, 400],
  ERR_INVALID_CERTIFICATE: [status.INVALID_ARGUMENT, 400],
  ERR_UNAUTHENTICATED: [status.UNAUTHENTICATED, 401],
  ERR_CERT_NOT_PEER: [status.UNAUTHENTICATED, 401],
  ERR_CERT_EXPIRED: [status.UNAUTHENTICATED, 401],
  ERR_CERT_NOT_YET_VALID: [status.UNAUTHENTICATED, 401],
  ERR_CERT_UNTRUSTED: [status.UNAUTHENTICATED, 401],
  ERR_CERT_BLACKLISTED: [status.UNAUTHENTICATED, 401],
  ERR_TOKEN_MISSING: [status.UNAUTHENTICATED, 401],
  ERR_TOKEN_INVALID: [status.UNAUTHENTICATED, 401],
  ERR_TOKEN_EXPIRED: [status.UNAUTHENTICATED, 401],
  ERR_TOKEN_REVOKED: [status.UNAUTHENTICATED, 401],
  ERR_TOKEN_BINDING: [status.UNAUTHENTICATED, 401],
  ERR_PERMISSION_DENIED: [status.PERMISSION_DENIED, 403],
  ERR_TENANT_NOT_FOUND: [status.NOT_FOUND, 404],
  ERR_GATEWAY_NOT_FOUND: [status.NOT_FOUND, 404],
  ERR_CERT_NOT_FOUND: [status.NOT_FOUND, 404],
  ERR_ALREADY_EXISTS: [status.ALREADY_EXISTS, 409],
  ERR_FAILED_PRECONDITION: [status.FAILED_PRECONDITION, 412],
  ERR_RESOURCE_EXHAUSTED: [status.RESOURCE_EXHAUSTED, 429],
  ERR_NO_CA_KEY: [status.FAILED_PRECONDITION, 412],
  ERR_SESSION_NOT_FOUND: [status.NOT_FOUND, 404],
  ERR_USER_NOT_FOUND: [status.NOT_FOUND, 404],
  ERR_ROLE_NOT_FOUND: [status.NOT_FOUND, 404],
  ERR_INVALID_CREDENTIALS: [status.UNAUTHENTICATED, 401],
  ERR_TOO_MANY_ATTEMPTS: [status.RESOURCE_EXHAUSTED, 429],
  ERR_STORE_UNAVAILABLE: [status.UNAVAILABLE, 503],
  ERR_CONFIG_INVALID: [status.INTERNAL, 500],
  ERR_NOT_INITIALIZED: [status.INTERNAL, 500],
  ERR_INTERNAL: [status.UNKNOWN, 500],
  ERR_INSECURE_PERMISSIONS: [status.INTERNAL, 500],
  ERR_SECRET_MISSING: [status.INTERNAL, 500],
  ERR_SECRET_INVALID: [status.INTERNAL, 500],
  ERR_KEY_NOT_FOUND: [status.NOT_FOUND, 404],
  ERR_QUOTA_EXCEEDED: [status.RESOURCE_EXHAUSTED, 429],
  ERR_RATE_LIMITED: [status.RESOURCE_EXHAUSTED, 429],
  ERR_GRPC_JS_INCOMPATIBLE: [status.INTERNAL, 500],
  ERR_LISTEN_FAILED: [status.INTERNAL, 500],
} as const satisfies Record<string, readonly [status, number]>;

/** What a client may see of any thrown value: our errors keep their message, anything else is generic. */
export function toPublic(err: unknown): { code: ErrorCode; grpc: status; http: number; message: string } {
  if (err instanceof GatewayError) {
    const [grpc, http] = ERROR_TABLE[err.code];
    return { code: err.code, grpc, http, message: err.message };
  }
  const [grpc, http] = ERROR_TABLE.ERR_INTERNAL;
  return { code: 'ERR_INTERNAL', grpc, http, message: 'internal error' };
}

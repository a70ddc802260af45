/**
 * One error hierarchy for the whole gateway, with no transport in it. Each failure has a stable
 * `code`; each door maps codes to its own wire form (gRPC: src/grpc/status.ts). `cause` goes to the
 * log, never to the client.
 */
export type ErrorCode = (typeof ERROR_CODES)[number];

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
export class PasswordChangeRequired extends define('ERR_PASSWORD_CHANGE_REQUIRED') {}
/** A new password the password rules refuse (too short, too long). */
export class PasswordPolicyViolated extends define('ERR_PASSWORD_POLICY') {}
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
/** A file named on the command line (a certificate to show) is not there. */
export class FileNotFound extends define('ERR_FILE_NOT_FOUND') {}
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
/** The gateway is shutting down: a stream it ends for that reason is retried elsewhere, not taken for done. */
export class ShuttingDown extends define('ERR_SHUTTING_DOWN') {}
/** New TLS files refused at a reload (src/tls-reload.ts): the files in force stay served. A log code, never a wire answer. */
export class TlsReloadRefused extends define('ERR_TLS_RELOAD_REFUSED') {}

/** Every stable error code. Each door maps them to its wire form in one table of its own (gRPC: src/grpc/status.ts). */
export const ERROR_CODES = [
  'ERR_INVALID_ARGUMENT',
  'ERR_INVALID_CERTIFICATE',
  'ERR_UNAUTHENTICATED',
  'ERR_CERT_NOT_PEER',
  'ERR_CERT_EXPIRED',
  'ERR_CERT_NOT_YET_VALID',
  'ERR_CERT_UNTRUSTED',
  'ERR_CERT_BLACKLISTED',
  'ERR_TOKEN_MISSING',
  'ERR_TOKEN_INVALID',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_REVOKED',
  'ERR_TOKEN_BINDING',
  'ERR_PERMISSION_DENIED',
  'ERR_TENANT_NOT_FOUND',
  'ERR_GATEWAY_NOT_FOUND',
  'ERR_CERT_NOT_FOUND',
  'ERR_ALREADY_EXISTS',
  'ERR_FAILED_PRECONDITION',
  'ERR_RESOURCE_EXHAUSTED',
  'ERR_NO_CA_KEY',
  'ERR_SESSION_NOT_FOUND',
  'ERR_USER_NOT_FOUND',
  'ERR_ROLE_NOT_FOUND',
  'ERR_INVALID_CREDENTIALS',
  'ERR_PASSWORD_CHANGE_REQUIRED',
  'ERR_PASSWORD_POLICY',
  'ERR_TOO_MANY_ATTEMPTS',
  'ERR_STORE_UNAVAILABLE',
  'ERR_CONFIG_INVALID',
  'ERR_NOT_INITIALIZED',
  'ERR_FILE_NOT_FOUND',
  'ERR_INTERNAL',
  'ERR_INSECURE_PERMISSIONS',
  'ERR_SECRET_MISSING',
  'ERR_SECRET_INVALID',
  'ERR_KEY_NOT_FOUND',
  'ERR_QUOTA_EXCEEDED',
  'ERR_RATE_LIMITED',
  'ERR_GRPC_JS_INCOMPATIBLE',
  'ERR_LISTEN_FAILED',
  'ERR_SHUTTING_DOWN',
  'ERR_TLS_RELOAD_REFUSED',
] as const;

/** Stable codes of log warnings that refuse nothing (an operator alerts on them): no error class, no wire form. */
export const WARNING_CODES = ['CERT_EXPIRES_SOON'] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

/** Every `code` a log line may carry (test/build/log-codes.test.ts holds src/ and the README to it). */
export const LOG_CODES: readonly (ErrorCode | WarningCode)[] = [...ERROR_CODES, ...WARNING_CODES];

/** What a client may see of any thrown value: our errors keep their message, anything else is generic. */
export function toPublic(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof GatewayError) return { code: err.code, message: err.message };
  return { code: 'ERR_INTERNAL', message: 'internal error' };
}

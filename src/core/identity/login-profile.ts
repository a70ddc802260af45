/**
 * What a dialect tells the identity use cases about its logins: its name, the claims of the access
 * tokens it hands out (its wire shape; the core signs them), its kind of refresh token and what its
 * answers need. The use cases decide, audit and issue; a profile only names shapes and lifetimes.
 */
import { RoleRecord, UserRecord } from '../../store/store';
import { AccessClaims } from './access-tokens';

/** Who a set of tokens is issued to. */
export interface Session {
  user: UserRecord;
  /** Who the login named: the username, or the external identity provider's subject (a refresh keeps it). */
  subject: string;
  /**
   * When the credentials were checked, unix seconds: now at a login; at a refresh, when the presented
   * token was issued (the login, for a reusable one).
   */
  authTime: number;
}

export interface TokenSpec {
  claims: AccessClaims;
  ttlSeconds: number;
  header?: Record<string, unknown>;
}

export interface LoginProfile<K extends string = string> {
  dialect: string;
  /** The access token(s) of a session, under the dialect's names for them. */
  access(session: Session): Record<K, TokenSpec>;
  refresh: {
    /** Single use (a refresh spends it and returns the next of its family) or reusable until it expires. */
    rotating: boolean;
    ttlSeconds: number;
    /** The refresh token is a JWT of ours with these claims (datarhei), checked as one before it is used; else opaque. */
    jwt?(session: Session): TokenSpec;
  };
  /** Its login answer carries the user's role (Monogoto's profile and permissions). */
  withRole?: boolean;
}

/** Tokens issued, by the profile's names. */
export interface Issued<K extends string = string> {
  user: UserRecord;
  access: Record<K, string>;
  /** A login's refresh token, or a rotating refresh's next one; none when a reusable one was used. */
  refreshToken?: string;
  /** The user's role, for a profile `withRole` (undefined if the role has no record). */
  role?: RoleRecord;
}

/**
 * The identity use cases behind every HTTP door: login (with EDR's account step and Cognito's
 * challenge), external-IdP login, refresh, revocation and introspection. They are the only places
 * that decide, audit and issue; a dialect hands them plain inputs and its LoginProfile, and shapes
 * the plain results on its wire.
 */
import { Store, UserRecord } from '../../store/store';
import { Clock } from '../clock';
import { Directory } from '../directory';
import { KeyRing } from '../key-ring';
import { VerifiedClaims } from './access-tokens';
import { ChallengeAnswer, createAnswerChallenge } from './answer-challenge';
import { CHALLENGE_SECRET, createChallengeSessions } from './challenge-sessions';
import { Identity } from './create-identity';
import { createExternalIdp, IdpOptions } from './external-idp';
import { createExternalLogin } from './external-login';
import { createIntrospection, Introspection } from './introspection';
import { createIssueTokens } from './issue-tokens';
import { createLogin, LoginResult, PasswordLogin } from './login';
import { Issued, LoginProfile } from './login-profile';
import { createMobileJwt } from './mobile-jwt';
import { createRefresh } from './refresh';
import { createRevocation } from './revocation';
import { createTokenStanding } from './token-standing';

export interface IdentityUseCaseDeps {
  identity: Identity;
  store: Store;
  directory: Directory;
  keys: KeyRing;
  clock: Clock;
}

export interface IdentityUseCaseOptions {
  /** The gateway's token issuer (GATEWAY_TOKEN_ISSUER), also of the EDR mobile JWT. */
  issuer: string;
  /** Introspection clients allowed to revoke any token (GATEWAY_REVOCATION_CLIENTS). */
  revocationClients: readonly string[];
  /** The external identity provider of datarhei's login, if one is configured. */
  externalIdp?: Omit<IdpOptions, 'clock'>;
}

export interface IdentityUseCases {
  /** A password login (a user who must change their password is refused: PasswordChangeRequired). */
  login<K extends string>(request: PasswordLogin, profile: LoginProfile<K>): Promise<Issued<K>>;
  /** A password login that answers a user who must change their password with a challenge (Cognito). */
  loginOrChallenge<K extends string>(request: PasswordLogin, profile: LoginProfile<K>): Promise<LoginResult<K>>;
  /** EDR's account step: a mobile JWT bound to the account, the proof its login then shows. */
  accountStep(request: Pick<PasswordLogin, 'username' | 'password' | 'address'>, dialect: string): Promise<string>;
  answerChallenge<K extends string>(answer: ChallengeAnswer, profile: LoginProfile<K>): Promise<Issued<K>>;
  loginExternal<K extends string>(token: string, address: string, profile: LoginProfile<K>): Promise<Issued<K>>;
  /** Whether an external identity provider is configured (datarhei lists it among its logins). */
  readonly externalLogin: boolean;
  refresh<K extends string>(token: string, address: string, profile: LoginProfile<K>): Promise<Issued<K>>;
  /** RFC 7009, by an introspection client; PermissionDenied when it may not. */
  revoke(client: string, token: string, address: string): Promise<void>;
  /** RFC 7662: whether the token is in force, and what it is. */
  introspect(token: string): Promise<Introspection>;
  /** The user behind an access token in force that names one. */
  tokenUser(token: string): Promise<{ claims: VerifiedClaims; user: UserRecord } | undefined>;
  /** The public keys that verify access tokens offline. */
  jwks(): { keys: Record<string, unknown>[] };
}

export async function createIdentityUseCases(d: IdentityUseCaseDeps, o: IdentityUseCaseOptions): Promise<IdentityUseCases> {
  const { identity, store, directory, keys, clock } = d;
  const { users, audit, access, refresh } = identity;
  await keys.ensureSecret(CHALLENGE_SECRET);
  // The current secrets at each use: `keys rotate-hmac` takes effect without a restart.
  const challenges = createChallengeSessions(() => keys.secret(CHALLENGE_SECRET), clock, store);
  const mobileJwt = createMobileJwt(() => identity.mobileKey, o.issuer, clock);
  const idp = o.externalIdp && createExternalIdp({ ...o.externalIdp, clock });
  const issue = createIssueTokens(access, refresh);
  const standing = createTokenStanding({ store, directory, access, refresh, users, revocationClients: o.revocationClients });
  const { login, loginOrChallenge, accountStep } = createLogin({ users, audit, store, clock, issue, challenges, mobileJwt });
  const { introspect, tokenUser } = createIntrospection({ directory, access, refresh, users, standing });
  return {
    login,
    loginOrChallenge,
    accountStep,
    answerChallenge: createAnswerChallenge({ users, audit, clock, issue, challenges }),
    loginExternal: createExternalLogin({ idp, users, audit, clock, issue }),
    externalLogin: idp !== undefined,
    refresh: createRefresh({ access, refresh, issue }),
    revoke: createRevocation(standing, audit),
    introspect,
    tokenUser,
    jwks: () => access.jwks(),
  };
}

/**
 * Login with a token of an external identity provider (datarhei's "Auth0" login): the token checked
 * (external-idp.ts), its subject mapped to an active local user, the outcome audited under the
 * dialect's `-idp` name, and the tokens of a login whose subject is the provider's.
 */
import { Unauthenticated } from '../../errors';
import { Clock, unixSeconds } from '../clock';
import { Audit } from './audit';
import { ExternalIdp } from './external-idp';
import { IssueTokens } from './issue-tokens';
import { Issued, LoginProfile } from './login-profile';
import { Users } from './users';

export interface ExternalLoginDeps {
  /** Undefined when no provider is configured. */
  idp: ExternalIdp | undefined;
  users: Users;
  audit: Audit;
  clock: Clock;
  issue: IssueTokens;
}

/** Throws Unauthenticated whose message says what was wrong (never what was expected), fit for the client. */
export function createExternalLogin({ idp, users, audit, clock, issue }: ExternalLoginDeps) {
  return async function loginExternal<K extends string>(token: string, address: string, profile: LoginProfile<K>): Promise<Issued<K>> {
    if (!idp) throw new Unauthenticated('External login is not configured');
    const dialect = `${profile.dialect}-idp`;
    const result = await idp.verify(token);
    const user = result.ok ? await users.find(result.username) : undefined;
    const active = user && (await users.active(user.userId));
    if (!result.ok || !active) {
      const reason = result.ok ? 'user not allowed' : result.reason;
      await audit({ event: 'login', outcome: 'failure', dialect, address, detail: reason });
      throw new Unauthenticated(reason);
    }
    const issued = await issue(profile, { user: active, subject: result.subject, authTime: unixSeconds(clock) }, 'new');
    await audit({ event: 'login', outcome: 'success', dialect, username: active.username, tenantId: active.tenantId, address });
    return issued;
  };
}

/** RFC 7009 revocation by an introspection client: who may (token-standing.ts), the revocation itself, and its audit either way. */
import { PermissionDenied } from '../../errors';
import { Audit } from './audit';
import { TokenStanding } from './token-standing';

const DIALECT = 'oauth2';

export function createRevocation(standing: TokenStanding, audit: Audit) {
  /**
   * Revokes a refresh token's family or an access token; an unknown token is no error (RFC 7009 §2.2).
   * Throws PermissionDenied when the client may not revoke this live token, which stays in force.
   */
  return async function revoke(client: string, token: string, address: string): Promise<void> {
    const outcome = await standing.revoke(client, token);
    if (outcome === 'refused') {
      await audit({ event: 'revocation', outcome: 'failure', dialect: DIALECT, address, detail: `${client} may not revoke this token` });
      throw new PermissionDenied('this client may revoke only tokens issued to it; this one was not');
    }
    await audit({ event: 'revocation', outcome: 'success', dialect: DIALECT, address, detail: `${outcome} token revoked by ${client}` });
  };
}

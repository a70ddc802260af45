/** Signing keys in PostgreSQL. */
import { FailedPrecondition, SigningKeyNotFound } from '../../errors';
import { SigningKeyRow, toSigningKey } from '../rows';
import { SigningKeyRecord, SigningKeyStore } from '../store';
import { PostgresContext } from './postgres-context';

export function signingKeyTables({ db, write }: PostgresContext): SigningKeyStore {
  return {
    async listSigningKeys(): Promise<SigningKeyRecord[]> {
      const { rows } = await db.query<SigningKeyRow>(
        'SELECT kid, alg, private_key, public_key, created_at FROM signing_keys ORDER BY created_at, seq',
      );
      return rows.map(toSigningKey);
    },

    async addSigningKey(key: SigningKeyRecord): Promise<void> {
      await write(['keys'], (q) =>
        q('INSERT INTO signing_keys (kid, alg, private_key, public_key, created_at) VALUES ($1, $2, $3, $4, $5)', [
          key.kid,
          key.alg,
          key.privateKeyPem,
          key.publicKeyPem,
          key.createdAt,
        ]),
      );
    },

    async replaceSigningKey(kid: string, expected: string, key: SigningKeyRecord): Promise<boolean> {
      return write(['keys'], async (q) => {
        const { rowCount } = await q(
          'UPDATE signing_keys SET alg = $1, private_key = $2, public_key = $3, created_at = $4 WHERE kid = $5 AND private_key = $6',
          [key.alg, key.privateKeyPem, key.publicKeyPem, key.createdAt, kid, expected],
        );
        return rowCount === 1;
      });
    },

    async retireSigningKey(kid: string): Promise<void> {
      await write(['keys'], async (q) => {
        // Rows locked in key order, so a concurrent retire or rotate waits rather than both passing the check.
        const { rows } = await q<{ kid: string; alg: string }>('SELECT kid, alg FROM signing_keys ORDER BY created_at, seq FOR UPDATE');
        const row = rows.find((r) => r.kid === kid);
        if (!row) throw new SigningKeyNotFound(`signing key ${kid} does not exist`);
        const newest = rows.filter((r) => r.alg === row.alg).pop();
        if (newest?.kid === kid) throw new FailedPrecondition(`signing key ${kid} is the one signing: rotate first (keys rotate), then retire it`);
        await q('DELETE FROM signing_keys WHERE kid = $1', [kid]);
      });
    },
  };
}

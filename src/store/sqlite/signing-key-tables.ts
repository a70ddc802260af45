/** Signing keys in the embedded database. */
import { FailedPrecondition, SigningKeyNotFound } from '../../errors';
import { SigningKeyRow, toSigningKey } from '../rows';
import { SigningKeyStore } from '../store';
import { SqliteContext } from './sqlite-context';

export function signingKeyTables({ pluck, sql, write }: SqliteContext): SigningKeyStore {
  return {
    async listSigningKeys() {
      const rows = sql('SELECT * FROM signing_keys ORDER BY created_at, rowid').all() as SigningKeyRow[];
      return rows.map(toSigningKey);
    },

    async addSigningKey(key) {
      await write(['keys'], () => {
        sql('INSERT INTO signing_keys (kid, alg, private_key, public_key, created_at) VALUES (?, ?, ?, ?, ?)').run(
          key.kid,
          key.alg,
          key.privateKeyPem,
          key.publicKeyPem,
          key.createdAt,
        );
      });
    },

    async replaceSigningKey(kid, expected, key) {
      return write(['keys'], () => {
        const changed = sql('UPDATE signing_keys SET alg = ?, private_key = ?, public_key = ?, created_at = ? WHERE kid = ? AND private_key = ?').run(
          key.alg,
          key.privateKeyPem,
          key.publicKeyPem,
          key.createdAt,
          kid,
          expected,
        ).changes;
        return changed === 1;
      });
    },

    async retireSigningKey(kid) {
      await write(['keys'], () => {
        const row = sql('SELECT alg FROM signing_keys WHERE kid = ?').get(kid) as { alg: string } | undefined;
        if (!row) throw new SigningKeyNotFound(`signing key ${kid} does not exist`);
        const newest = pluck('SELECT kid FROM signing_keys WHERE alg = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(row.alg);
        if (newest === kid) throw new FailedPrecondition(`signing key ${kid} is the one signing: rotate first (keys rotate), then retire it`);
        sql('DELETE FROM signing_keys WHERE kid = ?').run(kid);
      });
    },
  };
}

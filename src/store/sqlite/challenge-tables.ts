/** Single-use challenge sessions (Cognito-style NEW_PASSWORD_REQUIRED) in the embedded database. */
import { ChallengeStore } from '../store';
import { SqliteContext } from './sqlite-context';

export function challengeTables({ sql, write }: SqliteContext): ChallengeStore {
  const forget = sql('DELETE FROM spent_challenges WHERE expires_at < ?');
  const spend = sql('INSERT INTO spent_challenges (session_id, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
  return {
    // IMMEDIATE (through write): the write lock first, so processes on the same file spend one after the other.
    async spendChallenge(sessionId: string, expiresAt: number, forgetBefore: number) {
      return write([], () => {
        forget.run(forgetBefore);
        return spend.run(sessionId, expiresAt).changes === 1;
      });
    },
  };
}

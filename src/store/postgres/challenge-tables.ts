/** Single-use challenge sessions (Cognito-style NEW_PASSWORD_REQUIRED) in PostgreSQL, shared by every instance. */
import { ChallengeStore } from '../store';
import { PostgresContext } from './postgres-context';

export function challengeTables({ db }: PostgresContext): ChallengeStore {
  return {
    async spendChallenge(sessionId: string, expiresAt: number, forgetBefore: number) {
      await db.query('DELETE FROM spent_challenges WHERE expires_at < $1', [forgetBefore]);
      // The primary key decides: of concurrent spends, one inserts and the others find the row taken.
      const r = await db.query('INSERT INTO spent_challenges (session_id, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [sessionId, expiresAt]);
      return r.rowCount === 1;
    },
  };
}

/** Single-use challenge sessions (Cognito-style NEW_PASSWORD_REQUIRED) in the embedded database. */
import Database from 'better-sqlite3';

export type ChallengeTables = ReturnType<typeof challengeTables>;

export function challengeTables(db: Database.Database) {
  const forget = db.prepare('DELETE FROM spent_challenges WHERE expires_at < ?');
  const spend = db.prepare('INSERT INTO spent_challenges (session_id, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
  // IMMEDIATE: the write lock first, so processes on the same file spend one after the other.
  const spendOnce = db.transaction((sessionId: string, expiresAt: number, forgetBefore: number) => {
    forget.run(forgetBefore);
    return spend.run(sessionId, expiresAt).changes === 1;
  });
  return {
    async spendChallenge(sessionId: string, expiresAt: number, forgetBefore: number) {
      return spendOnce.immediate(sessionId, expiresAt, forgetBefore);
    },
  };
}

/**
 * Statements prepared once per connection and kept by their SQL text: preparing one costs more than
 * running a point lookup with it. Bounded: the dynamic texts (a user patch's columns, a list filter)
 * have few shapes, and past MAX_STATEMENTS the oldest is dropped (prepared again if asked for).
 */
import Database from 'better-sqlite3';

export const MAX_STATEMENTS = 256;

export interface Statements {
  /** The statement for `text`, prepared on first use. */
  sql(text: string): Database.Statement;
  /** The same, in pluck mode (the first column's value instead of the row): kept apart, as the mode sticks to the statement. */
  pluck(text: string): Database.Statement;
}

export function createStatements(db: Database.Database, max = MAX_STATEMENTS): Statements {
  const cached = (mode: (s: Database.Statement) => Database.Statement) => {
    const byText = new Map<string, Database.Statement>();
    return (text: string) => {
      let statement = byText.get(text);
      if (statement === undefined) {
        statement = mode(db.prepare(text));
        if (byText.size >= max) byText.delete(byText.keys().next().value as string);
        byText.set(text, statement);
      }
      return statement;
    };
  };
  return { sql: cached((s) => s), pluck: cached((s) => s.pluck()) };
}

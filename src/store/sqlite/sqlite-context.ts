import Database from 'better-sqlite3';
import { BackendContext } from '../transaction';
import { Statements } from './statements';

/**
 * What the embedded store's parts share: the connection; its statements, prepared once (`sql`,
 * `pluck`: use them rather than `db.prepare`); and `write`, which runs its function in a savepoint
 * of one IMMEDIATE transaction shared with the other writes of this turn of the event loop (the
 * write lock first, so processes on the same file write one after the other; group-commit.ts),
 * checks after the commit that the database files are still the ones opened, and then announces the
 * topics. The function must be synchronous: better-sqlite3 refuses one that returns a promise.
 */
export interface SqliteContext extends BackendContext<Database.Database, Database.Database>, Statements {}

/** A value as SQLite takes it: booleans as 0/1. */
export const sqlValue = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

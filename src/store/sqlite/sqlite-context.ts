import Database from 'better-sqlite3';
import { BackendContext } from '../transaction';

/**
 * What the embedded store's parts share: the connection, and `write`, which runs its function in one
 * IMMEDIATE transaction (the write lock first, so processes on the same file write one after the
 * other), checks that the database files are still the ones opened, and then announces the topics.
 * The function must be synchronous: better-sqlite3 refuses one that returns a promise.
 */
export type SqliteContext = BackendContext<Database.Database, Database.Database>;

/** A value as SQLite takes it: booleans as 0/1. */
export const sqlValue = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

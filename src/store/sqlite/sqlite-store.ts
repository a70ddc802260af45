/**
 * The embedded store: SQLite through better-sqlite3, one file in the data directory. One file per
 * part of the Store (tenant-tables.ts, certificate-tables.ts, …), composed here. Every write runs in
 * one IMMEDIATE transaction (change-feed.ts; the writes of one turn of the event loop share it,
 * each in a savepoint: group-commit.ts), so a crash leaves the old state or the new one. WAL with
 * synchronous=NORMAL: a process crash loses nothing committed; a power cut may lose the last commits
 * (an fsync per commit blocked the event loop on every login; see README). The server checkpoints
 * the WAL from a worker thread (wal-checkpointer.ts), so no fsync runs on the event loop then.
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Logger } from 'pino';
import { Clock } from '../../core/clock';
import { StoreUnavailable } from '../../errors';
import { Store } from '../store';
import { auditTables } from './audit-tables';
import { certificateTables } from './certificate-tables';
import { challengeTables } from './challenge-tables';
import { createChangeFeed } from './change-feed';
import { createDatabaseGuard } from './database-guard';
import { identityPurgeTables } from './identity-purge-tables';
import { lockoutTables } from './lockout-tables';
import { MIGRATIONS } from './migrations';
import { presenceTables } from './presence-tables';
import { refreshTokenTables } from './refresh-token-tables';
import { revocationTables } from './revocation-tables';
import { signingKeyTables } from './signing-key-tables';
import { SqliteContext } from './sqlite-context';
import { createStatements } from './statements';
import { tenantTables } from './tenant-tables';
import { reportUnavailable } from './unavailable';
import { userTables } from './user-tables';
import { startWalCheckpointer, WalCheckpointer, WalCheckpointerOptions } from './wal-checkpointer';

export interface SqliteStoreOptions {
  /** How often to look for commits made by other processes, in ms (0 = never). */
  pollMs?: number;
  /** Times recent write failures for the health probe (the injected clock in tests). */
  clock?: Clock;
  /** Where to say, once, that the files were deleted or writes fail. */
  log?: Logger;
  /** Open an existing database only (never make a new file or directory). */
  mustExist?: boolean;
  /**
   * Checkpoint the WAL from a worker thread, not in the committing call on the event loop
   * (wal-checkpointer.ts): the server's store. Off for the short-lived CLI commands.
   */
  checkpointInWorker?: boolean | WalCheckpointerOptions;
}

/** The embedded store, with its connection for tests that must act on it (test/http/disk-full.test.ts caps it with a per-connection PRAGMA). */
export interface SqliteStore extends Store {
  readonly db: Database.Database;
  /** The WAL checkpoint worker, when `checkpointInWorker` (tests). */
  readonly checkpointer?: WalCheckpointer;
}

export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteStore {
  let db: Database.Database;
  try {
    if (file !== ':memory:' && !options.mustExist) {
      // The database holds secrets: a private directory, and a 0600 file whose mode SQLite gives its -wal and -shm files.
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    }
    db = new Database(file, { fileMustExist: options.mustExist ?? false });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Deleted and overwritten rows (a retired key, a key's plaintext before it was encrypted) are zeroed
    // in pages written anyway: no extra I/O.
    db.pragma('secure_delete = FAST');
    // Each write of a group commit runs in a savepoint (group-commit.ts), whose journal keeps the first
    // copy of every page it touches: past 64 KiB SQLite spills that journal to a temporary file, ~7 pwrites
    // of 4 KiB a rotation. In memory (freed at each commit, at most MAX_WRITES_PER_COMMIT writes' pages) a
    // rotation costs ~16 % less CPU (bench/README.md, issue 13, "schema"). Queries' temporary sorts
    // also stay in memory: every ORDER BY/DISTINCT here either has an index or returns all its rows to
    // JavaScript anyway (listings), so none holds more than its answer does.
    db.pragma('temp_store = MEMORY');
    migrate(db);
  } catch (cause) {
    throw new StoreUnavailable(`cannot open the embedded database ${file}`, { cause });
  }
  const guard = createDatabaseGuard(file, options);
  let checkpointer: WalCheckpointer | undefined;
  const changes = createChangeFeed(db, guard, options.pollMs ?? 500, () => checkpointer?.committed(guard.walBytes));
  if (options.checkpointInWorker && file !== ':memory:') {
    const settings = options.checkpointInWorker === true ? {} : options.checkpointInWorker;
    checkpointer = startWalCheckpointer(db, file, { log: options.log, ...settings });
  }
  const context: SqliteContext = { db, write: changes.write, ...createStatements(db) };
  const audit = auditTables(context);
  const store: SqliteStore = {
    kind: 'sqlite',
    db,
    checkpointer,
    ...tenantTables(context),
    ...certificateTables(context),
    ...revocationTables(context),
    ...signingKeyTables(context),
    ...userTables(context),
    ...refreshTokenTables(context),
    ...lockoutTables(context),
    ...identityPurgeTables(context),
    ...challengeTables(context),
    ...audit.store,
    ...presenceTables(context),
    onChange: changes.onChange,
    async ping() {
      context.sql('SELECT 1').get();
    },
    async close() {
      // Events already recorded are written before the connection goes (their callers still wait).
      if (db.open) await audit.drain();
      changes.stop();
      // Writes already asked for are committed before the connection goes (their callers still wait).
      if (db.open) changes.flush();
      // The worker's connection first: closing the last one, SQLite checkpoints the whole WAL and deletes it.
      await checkpointer?.close();
      if (db.open) changes.flush();
      if (db.open) db.close();
    },
  };
  return reportUnavailable(store, guard);
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const apply = db.transaction(() => {
    const done = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, unixNow());
    }
  });
  // IMMEDIATE takes the write lock first, so two processes starting at once migrate one after the other.
  apply.immediate();
}

const unixNow = () => Math.floor(Date.now() / 1000);

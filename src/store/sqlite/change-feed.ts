/**
 * The embedded store's writes and its change feed. Every write bumps the version of its topics in
 * change_versions inside its transaction; other processes on the same file (the CLI beside a
 * running server) are noticed through PRAGMA data_version, and their topics by the versions that moved.
 */
import Database from 'better-sqlite3';
import { createChangeEmitter } from '../change-emitter';
import { ChangeFeed, STORE_TOPICS } from '../store';
import { Write } from '../transaction';
import { DatabaseGuard } from './database-guard';
import { createGroupCommit } from './group-commit';

export interface SqliteChangeFeed extends ChangeFeed {
  /** IMMEDIATE transaction (shared by the writes of one turn of the event loop), then the files checked, then the topics announced. */
  write: Write<Database.Database>;
  /** Commits the writes waiting for the next turn now (before the connection closes). */
  flush(): void;
  /** Stops looking for other processes' commits. */
  stop(): void;
}

/** `pollMs`: how often to look for commits made by other processes (0 = never); `committed`: after each commit passed the file check. */
export function createChangeFeed(db: Database.Database, guard: DatabaseGuard, pollMs: number, committed?: () => void): SqliteChangeFeed {
  const emitter = createChangeEmitter();
  const readDataVersion = () => db.pragma('data_version', { simple: true }) as number;
  const readTopicVersions = () => {
    const rows = db.prepare('SELECT topic, version FROM change_versions').all() as { topic: string; version: number }[];
    return new Map(rows.map((r) => [r.topic, r.version]));
  };
  let dataVersion = readDataVersion();
  let topicVersions = readTopicVersions();

  const pollExternalChanges = () => {
    if (!db.open) return;
    try {
      guard.checkFiles();
    } catch {
      return; // Said once in the log; every call is refused from now on.
    }
    const version = readDataVersion();
    if (version === dataVersion) return;
    dataVersion = version;
    const versions = readTopicVersions();
    for (const topic of STORE_TOPICS) {
      if (versions.get(topic) !== topicVersions.get(topic)) emitter.emit(topic, true);
    }
    topicVersions = versions;
  };
  const timer = pollMs > 0 ? setInterval(pollExternalChanges, pollMs) : undefined;
  timer?.unref();

  const bump = db.prepare(
    'INSERT INTO change_versions (topic, version) VALUES (?, 1) ON CONFLICT (topic) DO UPDATE SET version = version + 1 RETURNING version',
  );

  // Committed into a file that is no longer the database is lost: not acknowledged.
  const commits = createGroupCommit(db, () => {
    guard.checkFiles();
    committed?.();
  });

  // The transaction is shared with the other writes of this turn of the event loop (group-commit.ts).
  const write: Write<Database.Database> = async (topics, fn) => {
    const bumped = new Map<string, number>();
    const result = await commits.run(() => {
      const value = fn(db);
      for (const topic of topics) bumped.set(topic, (bump.get(topic) as { version: number }).version);
      return value;
    });
    // Our own bumps are known here; other processes' show up at the next poll.
    for (const [topic, version] of bumped) topicVersions.set(topic, version);
    for (const topic of topics) emitter.emit(topic, false);
    return result;
  };

  return {
    write,
    onChange: emitter.onChange,
    flush: commits.flush,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}

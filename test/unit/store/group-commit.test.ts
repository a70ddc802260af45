import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGroupCommit } from '../../../src/store/sqlite/group-commit';

describe('SQLite group commit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mgw-group-commit-'));
  let db: Database.Database;
  const rows = () => db.prepare('SELECT v FROM t ORDER BY v').pluck().all();
  const insert = (v: number) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;

  beforeEach(() => {
    db = new Database(join(dir, `${Date.now()}-${Math.random()}.db`));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v INTEGER UNIQUE)');
  });
  afterEach(() => db.close());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('commits the writes of one turn together; a write that throws is rolled back and refuses only its caller', async () => {
    const commits = createGroupCommit(db, () => undefined);
    const results = await Promise.allSettled([commits.run(insert(1)), commits.run(insert(1)), commits.run(insert(2))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(rows()).toEqual([1, 2]);
  });

  it('answers nobody before the commit, and nobody at all when the check after it fails', async () => {
    let fail = true;
    const commits = createGroupCommit(db, () => {
      if (fail) throw new Error('files replaced');
    });
    const writes = Promise.allSettled([commits.run(insert(1)), commits.run(insert(2))]);
    expect(rows()).toEqual([]);
    expect((await writes).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(commits.run(insert(3))).resolves.toBe(1);
  });

  it('refuses every write of the batch when SQLite rolled the whole transaction back (as on a full disk)', async () => {
    const commits = createGroupCommit(db, () => undefined);
    const results = await Promise.allSettled([
      commits.run(insert(1)),
      commits.run(() => {
        db.exec('ROLLBACK');
        throw new Error('disk full');
      }),
      commits.run(insert(2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    // The write after the failure did not commit on its own either.
    expect(rows()).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  it('caps the writes of one transaction, and flush runs what waits at once', async () => {
    const commits = createGroupCommit(db, () => undefined, 2);
    const writes = Promise.all([1, 2, 3, 4, 5].map((v) => commits.run(insert(v))));
    commits.flush();
    expect(rows()).toEqual([1, 2, 3, 4, 5]);
    await expect(writes).resolves.toEqual([1, 1, 1, 1, 1]);
  });
  describe('when another connection holds the write lock (another worker process on the same file)', () => {
    let other: Database.Database;
    beforeEach(() => {
      db.pragma('busy_timeout = 5000');
      other = new Database(db.name);
      other.exec('BEGIN IMMEDIATE');
    });
    afterEach(() => {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    });
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
    };

    it('keeps the event loop turning while it waits, takes the writes asked for meanwhile, and commits them once the lock is free', async () => {
      const commits = createGroupCommit(db, () => undefined);
      let settled = 0;
      const first = commits.run(insert(1)).finally(() => settled++);
      // SQLite's own busy handler would sleep inside BEGIN here, for up to 5 s, with no turn of the loop.
      await turns(20);
      const second = commits.run(insert(2)).finally(() => settled++);
      await turns(20);
      expect(settled).toBe(0);
      expect(db.inTransaction).toBe(false);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      other.exec('COMMIT');
      await expect(Promise.all([first, second])).resolves.toEqual([1, 1]);
      expect(rows()).toEqual([1, 2]);
    });

    it('refuses the writes with SQLite\'s busy error once the busy timeout has passed, writing nothing', async () => {
      db.pragma('busy_timeout = 30');
      const commits = createGroupCommit(db, () => undefined);
      await expect(commits.run(insert(1))).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      other.exec('COMMIT');
      expect(rows()).toEqual([]);
      await expect(commits.run(insert(2))).resolves.toBe(1);
      expect(rows()).toEqual([2]);
    });
  });
});

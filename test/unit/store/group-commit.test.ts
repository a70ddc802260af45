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
  it('holds the writes while paused (the caller waits, nothing is written) and commits them once resumed', async () => {
    const commits = createGroupCommit(db, () => undefined);
    commits.pause();
    let answered = false;
    const first = commits.run(insert(1)).then(() => (answered = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    expect(rows()).toEqual([]);
    commits.resume();
    await first;
    expect(rows()).toEqual([1]);
  });

  it('pausing from the check after a commit stops before the next batch; flush commits even while paused', async () => {
    let commitsSeen = 0;
    const commits = createGroupCommit(db, () => {
      commitsSeen++;
      commits.pause();
    }, 2);
    const writes = [1, 2, 3, 4, 5].map((v) => commits.run(insert(v)));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(commitsSeen).toBe(1);
    expect(rows()).toEqual([1, 2]);
    commits.flush();
    await Promise.all(writes);
    expect(rows()).toEqual([1, 2, 3, 4, 5]);
  });
});

/**
 * Passwords on the hashing threads: answers match @node-rs/argon2's own, an unknown user and a stored
 * value that is no argon2id hash cost one verification and never match, a hash of another cost is
 * flagged for rehashing, and a hash the library refuses fails that call only.
 */
import { hash as libraryHash, verify as libraryVerify } from '@node-rs/argon2';
import { createPasswords } from '../../../../src/core/identity/passwords';
import { hashThreads } from '../../../../src/core/identity/hash-threads';

const COST = { memoryKib: 64, timeCost: 1, parallelism: 1 };

it('hashes on its threads are argon2id PHC strings that the library verifies, and verify agrees with it', async () => {
  const passwords = await createPasswords(COST, 2);
  const stored = await passwords.hash('correct horse');
  expect(stored).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$/);
  expect(await libraryVerify(stored, 'correct horse')).toBe(true);
  expect(await passwords.verify(stored, 'correct horse')).toEqual({ ok: true, needsRehash: false });
  expect(await passwords.verify(stored, 'wrong horse')).toEqual({ ok: false, needsRehash: false });
  const byLibrary = await libraryHash('made elsewhere', { memoryCost: 64, timeCost: 1, parallelism: 1, algorithm: 2 });
  expect(await passwords.verify(byLibrary, 'made elsewhere')).toEqual({ ok: true, needsRehash: false });
});

it('an unknown user, or a stored value that is no argon2id hash, never matches (the decoy is verified instead)', async () => {
  const passwords = await createPasswords(COST, 2);
  expect(await passwords.verify(undefined, 'decoy password that matches nothing')).toEqual({ ok: false, needsRehash: false });
  expect(await passwords.verify('plain text', 'plain text')).toEqual({ ok: false, needsRehash: false });
});

it('a hash of another cost verifies and asks for a rehash', async () => {
  const older = await (await createPasswords({ memoryKib: 32, timeCost: 1, parallelism: 1 }, 2)).hash('old secret');
  const passwords = await createPasswords(COST, 2);
  expect(await passwords.verify(older, 'old secret')).toEqual({ ok: true, needsRehash: true });
  expect(await passwords.verify(older, 'other secret')).toEqual({ ok: false, needsRehash: false });
});

it('many hashes at once all finish, each with its own salt; a hash the library refuses fails only its own call', async () => {
  const passwords = await createPasswords(COST, 2);
  const hashes = await Promise.all(Array.from({ length: 9 }, (_, i) => passwords.hash(`secret ${i}`)));
  expect(new Set(hashes).size).toBe(9);
  const broken = '$argon2id$v=19$m=64,t=1,p=1$not-base64$!!';
  const results = await Promise.allSettled([passwords.verify(broken, 'x'), passwords.verify(hashes[3], 'secret 3'), passwords.verify(hashes[4], 'secret 3')]);
  expect(results[0].status).toBe('rejected');
  expect(results.slice(1)).toEqual([
    { status: 'fulfilled', value: { ok: true, needsRehash: false } },
    { status: 'fulfilled', value: { ok: false, needsRehash: false } },
  ]);
});

it('one set of threads per width in a process', () => {
  expect(hashThreads(2)).toBe(hashThreads(2));
  expect(hashThreads(1)).not.toBe(hashThreads(2));
});

it('never more threads than the width, however many hashes are asked for at once', async () => {
  const set = hashThreads(3);
  const options = { memoryCost: COST.memoryKib, timeCost: COST.timeCost, parallelism: COST.parallelism, algorithm: 2 };
  const jobs = Array.from({ length: 12 }, (_, i) => set.run({ op: 'hash', password: `many ${i}`, options }));
  expect(set.threads).toBe(3);
  expect(new Set(await Promise.all(jobs)).size).toBe(12);
  expect(set.threads).toBe(3);
});

it('the hashing threads run nicer than the event loop (Linux scheduling priority), so a login flood cannot crowd it out', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { HASH_THREAD_NICENESS } = await import('../../../../src/core/identity/hash-threads');
  /** The niceness of each thread of this process (/proc/self/task/TID/stat, field 19). */
  const niceness = () =>
    readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return { tid: Number(tid), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) };
    });
  const main = niceness().find((t) => t.tid === process.pid)!.nice;
  const before = new Set(niceness().map((t) => t.tid));
  const set = hashThreads(4);
  const options = { memoryCost: COST.memoryKib, timeCost: COST.timeCost, parallelism: COST.parallelism, algorithm: 2 };
  await Promise.all(Array.from({ length: 8 }, (_, i) => set.run({ op: 'hash', password: `nice ${i}`, options })));
  // The four new threads hash at the process's niceness plus HASH_THREAD_NICENESS; the event loop keeps its own.
  const hashing = niceness().filter((t) => !before.has(t.tid) && t.nice === Math.min(19, main + HASH_THREAD_NICENESS));
  expect(hashing).toHaveLength(4);
  expect(niceness().find((t) => t.tid === process.pid)!.nice).toBe(main);
});

/**
 * Watches what SQLite cannot see by itself, so the embedded store fails closed:
 * - its files deleted or replaced under the running process (SQLite keeps writing into the
 *   unlinked inode, every acknowledged write is gone at the next start): noticed by comparing the
 *   path's device and inode with the ones opened. While SQLite holds the old inode open it cannot
 *   be reused, so a new file at the path always differs. No extra descriptor is kept: closing any
 *   descriptor of a file drops every POSIX lock this process holds on it, SQLite's included.
 * - a write that failed for want of space or a working disk (SQLITE_FULL, IOERR, READONLY…): a
 *   health probe that only reads would still pass, so health stays down for FAILED_WRITE_HOLD_MS
 *   after the last such failure. A time, not "until a write succeeds": with health down no
 *   traffic may come to prove the disk is back.
 */
import { statSync } from 'node:fs';
import { Logger } from 'pino';
import { Clock, systemClock } from '../../core/clock';
import { StoreUnavailable } from '../../errors';

/** How long health stays NOT_SERVING after a write failed for want of disk (a load balancer's few probes). */
export const FAILED_WRITE_HOLD_MS = 10_000;

/** The database file and its WAL-mode side files, all opened by SQLite for as long as the connection lives. */
const SIDE_FILES = ['', '-wal', '-shm'];

export interface DatabaseGuard {
  /** True once the files were found deleted or replaced; from then on every call is refused. */
  readonly lost: boolean;
  /** Throws StoreUnavailable when the files are no longer the ones opened. */
  checkFiles(): void;
  /** The -wal file's size at the last checkFiles (0 if none): what decides a checkpoint (wal-checkpointer.ts), no extra stat. */
  readonly walBytes: number;
  /** Throws StoreUnavailable when the files are gone or a write failed within FAILED_WRITE_HOLD_MS. */
  checkHealth(): void;
  /** Records a write that failed for want of disk (the SQLite code, for the message). */
  writeFailed(code: string): void;
}

export interface GuardOptions {
  clock?: Clock;
  log?: Logger;
}

interface Identity {
  path: string;
  dev: bigint;
  ino: bigint;
}

// bigint: 64-bit inode numbers (XFS, btrfs) do not fit a double exactly.
const statOf = (path: string) => statSync(path, { bigint: true, throwIfNoEntry: false });

function identify(path: string): Identity | undefined {
  const s = statOf(path);
  return s && { path, dev: s.dev, ino: s.ino };
}

/** The guard of the database at `file`, made right after SQLite opened it (and its side files). */
export function createDatabaseGuard(file: string, options: GuardOptions = {}): DatabaseGuard {
  const clock = options.clock ?? systemClock;
  const walFile = `${file}-wal`;
  const opened = file === ':memory:' ? [] : SIDE_FILES.map((suffix) => identify(file + suffix)).filter((i): i is Identity => i !== undefined);
  let lost: string | undefined;
  let failedAt: number | undefined;
  let failedCode = '';
  let walBytes = 0;

  const unavailable = () =>
    new StoreUnavailable('the embedded database files were deleted or replaced while in use; the gateway refuses requests until restarted', {
      cause: new Error(`${lost} is not the file the gateway opened`),
    });

  return {
    get lost() {
      return lost !== undefined;
    },
    get walBytes() {
      return walBytes;
    },
    checkFiles() {
      if (lost === undefined) {
        for (const o of opened) {
          const now = statOf(o.path);
          if (now && now.dev === o.dev && now.ino === o.ino) {
            if (o.path === walFile) walBytes = Number(now.size);
            continue;
          }
          lost = o.path;
          options.log?.error(
            { file: o.path, found: now ? 'another file' : 'nothing' },
            'the embedded database was deleted or replaced under the running gateway: refusing every request (health NOT_SERVING); restore the files from a backup and restart',
          );
          break;
        }
      }
      if (lost !== undefined) throw unavailable();
    },
    checkHealth() {
      this.checkFiles();
      const now = clock();
      if (failedAt !== undefined && now >= failedAt && now < failedAt + FAILED_WRITE_HOLD_MS) {
        throw new StoreUnavailable(`the embedded database could not write (${failedCode}); is the disk full?`);
      }
    },
    writeFailed(code) {
      if (failedAt === undefined || clock() >= failedAt + FAILED_WRITE_HOLD_MS) {
        options.log?.error(
          { sqliteCode: code, file, holdMs: FAILED_WRITE_HOLD_MS },
          'the embedded database could not write (disk full or failing?): health is NOT_SERVING until no write has failed for holdMs',
        );
      }
      failedAt = clock();
      failedCode = code;
    },
  };
}

/**
 * Start-up check of the places secrets live: the certificate and data directories must be 0700 and
 * the database files (SQLite's -wal and -shm side files too) and the system secret file 0600. A path
 * that group or others can use stops the start (exit 2) naming the path and the chmod that fixes it.
 * Skipped on Windows, where POSIX modes do not describe access.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Config } from './config';
import { InsecurePermissions } from './errors';
import { DATABASE_FILE } from './store/open-store';

export const SQLITE_SIDE_FILES = ['-wal', '-shm', '-journal'];

/** A problem sentence for a path others may use, if it exists; undefined when private or absent. */
export function privacyProblem(path: string, kind: 'directory' | 'file'): string | undefined {
  if (process.platform === 'win32') return undefined;
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  const want = kind === 'directory' ? '700' : '600';
  return `${kind} ${path} is open to group/others (mode ${mode.toString(8).padStart(3, '0')}): run chmod ${want} ${path}`;
}

/** The directories and files of this configuration that must be private. */
export function privatePaths(config: Pick<Config, 'certDir' | 'dataDir' | 'databaseUrl' | 'secretsFile'>): [string, 'directory' | 'file'][] {
  const paths: [string, 'directory' | 'file'][] = [[config.certDir, 'directory']];
  if (!config.databaseUrl) {
    const db = join(config.dataDir, DATABASE_FILE);
    paths.push([config.dataDir, 'directory'], [db, 'file'], ...SQLITE_SIDE_FILES.map((s): [string, 'file'] => [db + s, 'file']));
  }
  if (config.secretsFile) paths.push([config.secretsFile, 'file']);
  return paths;
}

/** Throws InsecurePermissions listing every path others may use (paths that do not exist yet are made private later). */
export function checkPrivatePaths(paths: [string, 'directory' | 'file'][]): void {
  const problems = paths.map(([path, kind]) => privacyProblem(path, kind)).filter((p): p is string => p !== undefined);
  if (problems.length > 0) {
    throw new InsecurePermissions(`refusing to start: secrets would be readable by other users:\n  - ${problems.join('\n  - ')}`);
  }
}

/** The openssl command, for checks made outside node: tests that need it are skipped, by name, when absent. */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const HAS_OPENSSL = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

/** `it` when openssl is on the PATH; otherwise a skipped test whose name says why. */
export const itWithOpenssl = (name: string, fn: () => void, timeout?: number) =>
  HAS_OPENSSL ? it(name, fn, timeout) : it.skip(`${name} [skipped: no openssl command on PATH]`, fn);

export function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Result of `openssl verify`, without throwing on a failed verification. */
export function opensslVerify(cwd: string, caFile: string, certFile: string, purpose?: string): { ok: boolean; output: string } {
  const args = ['verify', '-CAfile', caFile, ...(purpose ? ['-purpose', purpose] : []), certFile];
  const run = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

export function writePem(dir: string, name: string, pem: string): string {
  const file = join(dir, name);
  writeFileSync(file, pem);
  return file;
}

export const x509Text = (dir: string, file: string) => openssl(['x509', '-noout', '-text', '-in', file], dir);

/** The committed src/gen must be exactly what `npm run generate` makes from proto/ now. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

it('src/gen is up to date with proto/ (run `npm run generate` if this fails)', () => {
  const out = mkdtempSync(join(tmpdir(), 'mgw-gen-'));
  try {
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'buf'), ['generate', '--output', out], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const fresh = join(out, 'src', 'gen');
    const committed = join(ROOT, 'src', 'gen');
    const names = (dir: string) => listFiles(dir).map((f) => relative(dir, f)).sort();
    expect(names(committed)).toEqual(names(fresh));
    for (const name of names(fresh)) {
      expect({ name, text: readFileSync(join(committed, name), 'utf8') }).toEqual({ name, text: readFileSync(join(fresh, name), 'utf8') });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

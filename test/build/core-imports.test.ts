/** The core knows no transport: nothing under src/core (nor the error hierarchy) imports grpc-js or fastify. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SRC = join(__dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

it.each([...files(join(SRC, 'core')), join(SRC, 'errors.ts')].map((f) => [f.slice(SRC.length + 1), f]))('%s imports no transport', (_name, file) => {
  const imports = [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
  expect(imports.filter((i) => i.startsWith('@grpc/') || i === 'fastify')).toEqual([]);
});

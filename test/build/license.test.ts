/** The LICENSE file is the one package.json names: the standard Apache License 2.0 text with our copyright line. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

it('LICENSE is the Apache License 2.0 text package.json names, with the copyright line filled in', () => {
  expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).license).toBe('Apache-2.0');
  const text = readFileSync(join(root, 'LICENSE'), 'utf8');
  expect(text).toMatch(/^\s*Apache License\n\s*Version 2\.0, January 2004\n/);
  expect(text).toContain('   Copyright 2026 The master-gateway authors\n');
  // With the appendix placeholder put back, it is byte for byte apache.org's LICENSE-2.0.txt.
  const standard = text.replace('Copyright 2026 The master-gateway authors', 'Copyright [yyyy] [name of copyright owner]');
  expect(createHash('sha256').update(standard).digest('hex')).toBe('cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30');
});

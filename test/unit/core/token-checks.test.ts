import { Directory } from '../../../src/core/directory';
import { VerifiedToken } from '../../../src/core/peer';
import { createTokenChecks, RECENT_TOKENS } from '../../../src/core/token-checks';

const directory = { revocationEpoch: () => 3, tenantsEpoch: () => 5 } as unknown as Directory;
const token = (jti: string): VerifiedToken => ({ jti, kid: 'k1', subject: 'acme', tenantId: 'acme', role: 'tenant', expiresAt: 2_000_000_000, tenantGeneration: '' });

it('one entry per token, shared by every connection that presents it', () => {
  const checks = createTokenChecks(directory, () => true);
  const first = checks.entry(token('a'));
  expect(checks.entry(token('a'))).toBe(first);
  expect(checks.entry(token('b'))).not.toBe(first);
  // Never checked yet: the first use checks revocation and tenant.
  expect(first).toMatchObject({ revocationEpoch: -1, tenantsEpoch: -1, revoked: false });
});

it('a token just issued is found checked at the current epochs', () => {
  const checks = createTokenChecks(directory, () => true);
  checks.issued(token('new'), 5);
  expect(checks.entry(token('new'))).toMatchObject({ revocationEpoch: 3, tenantsEpoch: 5 });
});

it('remembers a bounded number of tokens; one in use survives while others come and go', () => {
  const checks = createTokenChecks(directory, () => true);
  checks.issued(token('busy'), 5);
  const oldest = checks.entry(token('t0'));
  const busy = checks.entry(token('busy'));
  for (let i = 1; i <= 3 * RECENT_TOKENS; i++) {
    checks.issued(token(`t${i}`), 5);
    if (i % (RECENT_TOKENS / 2) === 0) expect(checks.entry(token('busy'))).toBe(busy);
  }
  expect(checks.entry(token('busy'))).toBe(busy);
  // The latest are still there, newest first.
  for (let i = 3 * RECENT_TOKENS; i > 3 * RECENT_TOKENS - RECENT_TOKENS / 2; i--) expect(checks.entry(token(`t${i}`)).revocationEpoch).toBe(3);
  // The oldest were forgotten: a new, unchecked entry.
  const again = checks.entry(token('t0'));
  expect(again).not.toBe(oldest);
  expect(again.revocationEpoch).toBe(-1);
  expect(checks.entry(token('t1')).revocationEpoch).toBe(-1);
});

it('a cached token whose key was retired is refused at its recheck, every time, without asking the store', () => {
  const known = new Set(['k1']);
  const asked: string[] = [];
  const dir = { revocationEpoch: () => 4, tenantsEpoch: () => 5, isRevoked: async (jti: string) => (asked.push(jti), false) } as unknown as Directory;
  const checks = createTokenChecks(dir, (kid) => known.has(kid));
  checks.issued(token('live'), 5);
  const cached = checks.entry(token('live'));
  known.delete('k1');
  for (let i = 0; i < 2; i++) expect(() => checks.recheck(cached)).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_REVOKED' }));
  expect(asked).toEqual([]);
});

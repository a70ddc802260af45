/**
 * Token checks of the gRPC door over a store that counts lookups: the warm path never touches the
 * store nor returns a promise; a revocation or tenant delete made anywhere still reaches a token
 * already cached on a connection.
 */
import { testSecretBox } from '../../support/secret-box';
import { Auth, createAuth } from '../../../src/core/auth';
import { createDirectory, Directory } from '../../../src/core/directory';
import { createKeyRing } from '../../../src/core/key-ring';
import { Peer, VerifiedToken } from '../../../src/core/peer';
import { createTokenService, TokenService } from '../../../src/core/tokens';
import { countingStore, CountingStore } from '../../support/counting-store';

const clock = () => 1_800_000_000_000;
let s: CountingStore;
let directory: Directory;
let tokens: TokenService;
let auth: Auth;
let generations: Record<string, string | undefined>;

beforeEach(async () => {
  s = countingStore();
  await s.store.addTenants([{ tenantId: 'acme', gatewayIds: [] }, { tenantId: 'globex', gatewayIds: [] }]);
  generations = { acme: await s.store.tenantGeneration('acme'), globex: await s.store.tenantGeneration('globex') };
  s.calls.clear();
  directory = await createDirectory(s.store, clock);
  tokens = createTokenService({ issuer: 'test', ttlSeconds: 600, clock, keys: await createKeyRing(s.store, clock, testSecretBox()) });
  auth = createAuth({ clock, directory, tokens, store: s.store });
});
afterEach(() => s.store.close());

/** A connection whose certificate checks are already done (`knownPem` short-cuts the PEM comparison). */
function peerOf(tenantId: string, thumbprint = `thumb-${tenantId}`): Peer {
  return {
    cert: { raw: Buffer.from('DER'), knownPem: 'PEM' },
    serial: 7n,
    thumbprint,
    identity: { kind: 'tenant', tenantId },
    notBefore: 0,
    notAfter: Number.MAX_SAFE_INTEGER,
    trusted: true,
    isCa: false,
    tokens: new Map(),
  };
}

const tokenFor = (peer: Peer, tenantId = 'acme') =>
  tokens.issue({ subject: tenantId, tenantId, role: 'tenant', thumbprint: peer.thumbprint, tenantGeneration: generations[tenantId] });
const lookups = () => s.count('isTokenRevoked') + s.count('tenantGeneration');
const code = async (value: unknown) => Promise.resolve(value).then(() => 'ok', (e: { code?: string }) => e.code);

it('a token first seen on a connection is checked against the store once; later calls are synchronous and store-free', async () => {
  const peer = peerOf('acme');
  const raw = tokenFor(peer);
  const first = auth.authenticate(peer, raw);
  expect(first).toBeInstanceOf(Promise);
  expect((await first).tenantId).toBe('acme');
  expect(s.count('isTokenRevoked')).toBe(1);
  const before = lookups();
  for (let i = 0; i < 100; i++) {
    const again = auth.authenticate(peer, raw) as VerifiedToken;
    expect(again.jti).toBe((await first).jti);
  }
  expect(lookups()).toBe(before);
});

it('a token from Login needs no store lookup, on this connection or another with the same certificate', async () => {
  const peer = peerOf('acme');
  const raw = await auth.login(peer, 'PEM');
  const before = lookups();
  expect(auth.authenticate(peer, raw)).toMatchObject({ tenantId: 'acme' });
  const other = peerOf('acme');
  expect(auth.authenticate(other, raw)).toMatchObject({ tenantId: 'acme' });
  expect(lookups()).toBe(before);
});

it('Login answers at once for a cached tenant, asks the store for another, and refuses an unregistered one', async () => {
  await auth.login(peerOf('acme'), 'PEM');
  expect(typeof auth.login(peerOf('acme'), 'PEM')).toBe('string');
  const globex = auth.login(peerOf('globex'), 'PEM');
  expect(globex).toBeInstanceOf(Promise);
  await globex;
  expect(await code(auth.login(peerOf('initech'), 'PEM'))).toBe('ERR_TENANT_NOT_FOUND');
});

it('a revocation made elsewhere reaches a token cached on a connection once the tokens topic changes', async () => {
  const peer = peerOf('acme');
  const raw = tokenFor(peer);
  const { jti, expiresAt } = await auth.authenticate(peer, raw);
  await s.store.revokeToken({ jti, expiresAt });
  // Not yet heard of: the cached answer stands (the store is not asked on every call).
  expect(auth.authenticate(peer, raw)).toMatchObject({ jti });
  await directory.refresh('tokens');
  expect(await code(auth.authenticate(peer, raw))).toBe('ERR_TOKEN_REVOKED');
  // Revocation is for good: later calls refuse without asking again.
  const before = lookups();
  expect(() => auth.authenticate(peer, raw)).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_REVOKED' }));
  expect(lookups()).toBe(before);
});

it('a logout here reaches the same token cached on another connection', async () => {
  const a = peerOf('acme');
  const b = peerOf('acme');
  const raw = tokenFor(a);
  await auth.authenticate(a, raw);
  await auth.authenticate(b, raw);
  await auth.logout(a, raw);
  expect(await code(auth.authenticate(b, raw))).toBe('ERR_TOKEN_REVOKED');
});

it('a revocation of another token costs a cached token one store lookup, then it is synchronous again', async () => {
  const peer = peerOf('acme');
  const raw = tokenFor(peer);
  await auth.authenticate(peer, raw);
  const other = peerOf('acme', 'thumb-other');
  await auth.logout(other, tokenFor(other));
  const before = s.count('isTokenRevoked');
  const recheck = auth.authenticate(peer, raw);
  expect(recheck).toBeInstanceOf(Promise);
  await recheck;
  expect(s.count('isTokenRevoked')).toBe(before + 1);
  expect(auth.authenticate(peer, raw)).not.toBeInstanceOf(Promise);
});

it('calls that find a token stale together make one store lookup, but a call after a further change does not join it', async () => {
  const peer = peerOf('acme');
  const raw = tokenFor(peer);
  const { jti, expiresAt } = await auth.authenticate(peer, raw);
  await directory.refresh('tokens');
  const before = s.count('isTokenRevoked');
  const burst = Array.from({ length: 20 }, () => auth.authenticate(peer, raw));
  expect(s.count('isTokenRevoked')).toBe(before + 1);
  // Revoked and heard of while that lookup is in flight: the next call asks again and is refused.
  await s.store.revokeToken({ jti, expiresAt });
  await directory.refresh('tokens');
  const late = auth.authenticate(peer, raw);
  expect(s.count('isTokenRevoked')).toBe(before + 2);
  expect(await code(late)).toBe('ERR_TOKEN_REVOKED');
  // The burst asked before the revocation: its answer (good) was right when it was asked.
  expect(new Set(await Promise.all(burst.map(code)))).toEqual(new Set(['ok']));
});

it('a connection that alternates between tokens gets each token\'s own claims', async () => {
  const peer = peerOf('acme');
  const a = tokenFor(peer);
  const b = tokenFor(peer);
  const jtiA = (await auth.authenticate(peer, a)).jti;
  const jtiB = (await auth.authenticate(peer, b)).jti;
  expect(jtiA).not.toBe(jtiB);
  for (const [raw, jti] of [[a, jtiA], [a, jtiA], [b, jtiB], [a, jtiA], [b, jtiB], [b, jtiB]]) {
    expect((auth.authenticate(peer, raw) as VerifiedToken).jti).toBe(jti);
  }
  // The last token of a connection is refused at once when it is logged out.
  await auth.logout(peer, b);
  expect(await code(auth.authenticate(peer, b))).toBe('ERR_TOKEN_REVOKED');
  expect(await code(auth.authenticate(peer, a))).toBe('ok');
});

it('a tenant delete reaches a token cached on a connection', async () => {
  const peer = peerOf('globex');
  const raw = tokenFor(peer, 'globex');
  await auth.authenticate(peer, raw);
  await s.store.deleteTenants(['globex']);
  await directory.refresh('tenants');
  const err = await Promise.resolve(auth.authenticate(peer, raw)).catch((e: Error & { code: string }) => e);
  expect(err).toMatchObject({ code: 'ERR_TOKEN_REVOKED', message: 'tenant globex is no longer registered' });
});

it('a tenant deleted and added again under the same ID does not revive its old tokens (cached or first seen)', async () => {
  const cachedPeer = peerOf('globex');
  const cached = tokenFor(cachedPeer, 'globex');
  await auth.authenticate(cachedPeer, cached);
  const unseen = tokenFor(peerOf('globex', 'thumb-other'), 'globex');
  await s.store.deleteTenants(['globex']);
  await s.store.addTenants([{ tenantId: 'globex', gatewayIds: [] }]);
  await directory.refresh('tenants');
  expect(await code(auth.authenticate(cachedPeer, cached))).toBe('ERR_TOKEN_REVOKED');
  expect(await code(auth.authenticate(peerOf('globex', 'thumb-other'), unseen))).toBe('ERR_TOKEN_REVOKED');
  // A token issued for the new tenant works.
  const fresh = peerOf('globex', 'thumb-new');
  const token = await auth.login(fresh, 'PEM');
  expect((await auth.authenticate(fresh, token)).tenantId).toBe('globex');
});

it('a store that cannot answer a needed lookup gives StoreUnavailable; the warm path keeps working', async () => {
  const warm = peerOf('acme');
  const warmToken = tokenFor(warm);
  await auth.authenticate(warm, warmToken);
  s.down = true;
  const cold = peerOf('acme', 'thumb-cold');
  expect(await code(auth.authenticate(cold, tokenFor(cold)))).toBe('ERR_STORE_UNAVAILABLE');
  expect(await code(auth.login(peerOf('globex'), 'PEM'))).toBe('ERR_STORE_UNAVAILABLE');
  expect(auth.authenticate(warm, warmToken)).toMatchObject({ tenantId: 'acme' });
  s.down = false;
  expect((await auth.authenticate(cold, tokenFor(cold))).tenantId).toBe('acme');
});

describe('who gets past the handshake, and past Login', () => {
  it('drops untrusted, CA and blacklisted certificates at the handshake; lets an expired one of our CA through', async () => {
    expect(auth.admissionRefusal(peerOf('acme'))).toBeUndefined();
    expect(auth.admissionRefusal({ ...peerOf('acme'), trusted: false })).toMatchObject({ code: 'ERR_CERT_UNTRUSTED', message: expect.stringMatching(/not issued directly/) });
    expect(auth.admissionRefusal({ ...peerOf('acme'), isCa: true })).toMatchObject({ code: 'ERR_CERT_UNTRUSTED', message: expect.stringMatching(/CA certificate/) });
    expect(auth.admissionRefusal({ ...peerOf('acme'), notAfter: 0 })).toBeUndefined();
    await s.store.addBlacklist([{ serial: 7n, tenantId: 'acme', gatewayId: null, addedAt: 0 }]);
    await directory.refresh('blacklist');
    expect(auth.admissionRefusal(peerOf('acme'))).toMatchObject({ code: 'ERR_CERT_BLACKLISTED', message: 'blacklisted' });
  });

  it('every call but Login needs a connection whose certificate names a client and is in standing', () => {
    const codeOfCheck = (peer: Peer | undefined) => {
      try {
        auth.checkConnection(peer);
        return 'ok';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(codeOfCheck(peerOf('acme'))).toBe('ok');
    expect(codeOfCheck(undefined)).toBe('ERR_UNAUTHENTICATED');
    expect(codeOfCheck({ ...peerOf('acme'), notAfter: 0 })).toBe('ERR_CERT_EXPIRED');
    expect(codeOfCheck({ ...peerOf('acme'), notBefore: clock() + 1000 })).toBe('ERR_CERT_NOT_YET_VALID');
    expect(codeOfCheck({ ...peerOf('acme'), identity: { problem: 'carries no tenant ID' } })).toBe('ERR_UNAUTHENTICATED');
  });
});

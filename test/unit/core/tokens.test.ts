import { createHmac, createPrivateKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { createKeyRing, KeyRing, keyIdOf, newSigningKeyRecord, openPrivatePart } from '../../../src/core/key-ring';
import { testSecretBox } from '../../support/secret-box';
import { retireSigningKey, rotateHmacSecrets, rotateSigningKey } from '../../../src/core/signing-keys';
import { createTokenService, newTokenId, TokenRequest, TokenService } from '../../../src/core/tokens';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { Store } from '../../../src/store/store';

const ISSUER = 'test-gateway';
const TTL = 600;
const START = Date.UTC(2030, 0, 1);
const request: TokenRequest = { subject: 'acme', tenantId: 'acme', role: 'tenant', thumbprint: 'thumb-acme' };

let root: string;
let files = 0;
let store: Store;
let now: number;
let keys: KeyRing;
let tokens: TokenService;

const clock = () => now;
const box = testSecretBox();

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mgw-tokens-'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeEach(async () => {
  now = START;
  store = openSqliteStore(join(root, `tokens-${++files}.db`), { pollMs: 0 });
  keys = await createKeyRing(store, clock, box);
  tokens = createTokenService({ issuer: ISSUER, ttlSeconds: TTL, clock, keys });
});

afterEach(() => store.close());

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parts = (token: string) => {
  const [header, payload] = token.split('.');
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()), payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) };
};

/** A JWT made by hand, so no library check stands between the forgery and the verifier. */
function forge(header: object, payload: object, signer: (input: string) => Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signer(input).toString('base64url')}`;
}

const es256 = (key: KeyObject) => (input: string) => sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });

function claims(overrides: object = {}) {
  const iat = Math.floor(now / 1000);
  return { iss: ISSUER, sub: 'acme', tenant: 'acme', role: 'tenant', jti: 'jti-1', iat, exp: iat + TTL, cnf: { 'x5t#S256': 'thumb-acme' }, ...overrides };
}

async function currentKey() {
  const kid = keys.signing().kid;
  const record = (await store.listSigningKeys()).find((k) => k.kid === kid)!;
  return { kid, record, privateKey: createPrivateKey(openPrivatePart(record, box)) };
}

const codeOf = (token: string) => {
  try {
    tokens.verify(token);
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'verified';
};

describe('token service', () => {
  it('issues a token that verifies, with its claims and certificate binding', () => {
    const token = tokens.issue({ ...request, actor: 'administrator' });
    const { header, payload } = parts(token);
    expect(header).toMatchObject({ alg: 'ES256', kid: keys.signing().kid });
    expect(payload).toMatchObject({ iss: ISSUER, iat: START / 1000, exp: START / 1000 + TTL });
    const verified = tokens.verify(token);
    expect(verified.thumbprint).toBe('thumb-acme');
    expect(verified.token).toEqual({
      jti: payload.jti,
      kid: keys.signing().kid,
      subject: 'acme',
      tenantId: 'acme',
      role: 'tenant',
      actor: 'administrator',
      expiresAt: START / 1000 + TTL,
      tenantGeneration: '',
    });
  });

  it('names the tenant generation it was issued for (tgen), none for a tenant older than generations', () => {
    const token = tokens.issue({ ...request, tenantGeneration: 'gen-1' });
    expect(parts(token).payload.tgen).toBe('gen-1');
    expect(tokens.verify(token).token.tenantGeneration).toBe('gen-1');
    expect(parts(tokens.issue(request)).payload).not.toHaveProperty('tgen');
  });

  it('gives every token its own jti', () => {
    const jtis = new Set(Array.from({ length: 20 }, () => tokens.verify(tokens.issue(request)).token.jti));
    expect(jtis.size).toBe(20);
  });

  it('expires tokens when the clock reaches exp (ERR_TOKEN_EXPIRED)', () => {
    const token = tokens.issue(request);
    now = START + (TTL - 1) * 1000;
    expect(codeOf(token)).toBe('verified');
    now = START + TTL * 1000;
    expect(codeOf(token)).toBe('ERR_TOKEN_EXPIRED');
    now = START + 365 * 24 * 3600 * 1000;
    expect(codeOf(token)).toBe('ERR_TOKEN_EXPIRED');
  });

  it('a hand-made ES256 token with the current key verifies (the forgery helpers are sound)', async () => {
    const { kid, privateKey } = await currentKey();
    expect(codeOf(forge({ alg: 'ES256', typ: 'JWT', kid }, claims(), es256(privateKey)))).toBe('verified');
  });

  it.each([
    ['alg none', async (kid: string) => `${b64({ alg: 'none', typ: 'JWT', kid })}.${b64(claims())}.`],
    [
      'HS256 keyed with the public key PEM',
      async (kid: string) => {
        const { publicKeyPem } = (await store.listSigningKeys()).find((k) => k.kid === kid)!;
        return forge({ alg: 'HS256', typ: 'JWT', kid }, claims(), (input) => createHmac('sha256', publicKeyPem).update(input).digest());
      },
    ],
    [
      'another key claiming the current kid',
      async (kid: string) => forge({ alg: 'ES256', typ: 'JWT', kid }, claims(), es256(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey)),
    ],
    [
      'another key with its own kid',
      async () => forge({ alg: 'ES256', typ: 'JWT', kid: 'unknown-kid' }, claims(), es256(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey)),
    ],
  ])('rejects %s (ERR_TOKEN_INVALID)', async (_what, make) => {
    expect(codeOf(await make(keys.signing().kid))).toBe('ERR_TOKEN_INVALID');
  });

  it.each([
    ['another issuer', { iss: 'someone-else' }],
    ['no certificate binding', { cnf: undefined }],
    ['an unknown role', { role: 'superuser' }],
    ['no jti', { jti: undefined }],
  ])('rejects a token signed by the current key with %s (ERR_TOKEN_INVALID)', async (_what, overrides) => {
    const { kid, privateKey } = await currentKey();
    expect(codeOf(forge({ alg: 'ES256', typ: 'JWT', kid }, claims(overrides), es256(privateKey)))).toBe('ERR_TOKEN_INVALID');
  });

  it.each([
    ['garbage', () => 'not-a-token'],
    ['an empty string', () => ''],
    ['no kid', () => `${b64({ alg: 'ES256' })}.${b64(claims())}.c2ln`],
  ])('rejects %s (ERR_TOKEN_INVALID)', (_what, make) => {
    expect(codeOf(make())).toBe('ERR_TOKEN_INVALID');
  });

  it('rejects a token whose payload was changed', () => {
    const [header, , signature] = tokens.issue(request).split('.');
    const tampered = `${header}.${b64({ ...claims(), tenant: 'administrator', role: 'administrator' })}.${signature}`;
    expect(codeOf(tampered)).toBe('ERR_TOKEN_INVALID');
  });
});

describe('key rotation', () => {
  it('keeps verifying tokens signed before a rotation; new tokens carry the new kid', async () => {
    const oldKid = keys.signing().kid;
    const before = tokens.issue(request);
    now += 60_000;
    const added = newSigningKeyRecord(clock, box);
    await store.addSigningKey(added);
    await keys.reload();
    expect(keys.signing().kid).toBe(added.kid);
    expect(added.kid).not.toBe(oldKid);
    expect(tokens.verify(before).token.subject).toBe('acme');
    const after = tokens.issue(request);
    expect(parts(after).header.kid).toBe(added.kid);
    expect(tokens.verify(after).token.tenantId).toBe('acme');
  });

  it('a token from a key the ring has not loaded yet is rejected until reload', async () => {
    const added = newSigningKeyRecord(clock, box);
    await store.addSigningKey(added);
    const early = forge({ alg: 'ES256', typ: 'JWT', kid: added.kid }, claims(), es256(createPrivateKey(openPrivatePart(added, box))));
    expect(codeOf(early)).toBe('ERR_TOKEN_INVALID');
    await keys.reload();
    expect(codeOf(early)).toBe('verified');
  });

  // Regression: a key added in the same second as the current one must become the signing key
  // (keys were once listed by (created_at, kid)).
  it('a key added in the same second becomes the signing key', async () => {
    const oldKid = keys.signing().kid;
    let added = newSigningKeyRecord(clock, box);
    while (added.kid > oldKid) added = newSigningKeyRecord(clock, box); // the unlucky half, made certain
    await store.addSigningKey(added);
    await keys.reload();
    expect(keys.signing().kid).toBe(added.kid);
  });
});

describe('key retirement', () => {
  it('a retired key no longer verifies (even a freshly forged token) and leaves the JWKS; reload names it', async () => {
    const old = await currentKey();
    const before = tokens.issue(request);
    now += 1000;
    await rotateSigningKey(store, box, clock);
    expect(await keys.reload()).toEqual([]);
    expect(codeOf(before)).toBe('verified');
    await retireSigningKey(store, old.kid);
    expect(await keys.reload()).toEqual([old.kid]);
    expect(codeOf(before)).toBe('ERR_TOKEN_INVALID');
    expect(codeOf(forge({ alg: 'ES256', typ: 'JWT', kid: old.kid }, claims({ jti: 'fresh' }), es256(old.privateKey)))).toBe('ERR_TOKEN_INVALID');
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([keys.signing().kid]);
    expect(tokens.keyKnown(old.kid)).toBe(false);
  });

  it('a retirement takes effect even when a key added meanwhile does not open here (another system secret); onRetired is told', async () => {
    const retiredSeen: string[][] = [];
    const ring = await createKeyRing(store, clock, box, (kids) => retiredSeen.push(kids));
    const first = ring.signing().kid;
    now += 1000;
    await rotateSigningKey(store, box, clock);
    await ring.reload();
    now += 1000;
    const foreign = await rotateSigningKey(store, testSecretBox(), clock);
    await retireSigningKey(store, first);
    await expect(ring.reload()).rejects.toMatchObject({ code: 'ERR_SECRET_MISSING' });
    expect(ring.verifying(first)).toBeUndefined();
    expect(ring.jwks().keys.map((k) => k.kid)).not.toContain(first);
    expect(ring.verifying(foreign.kid)).toBeDefined();
    expect(retiredSeen).toEqual([[first]]);
  });

  it('the signing key cannot be retired, an HMAC secret is rotated rather than retired, an unknown kid is not found', async () => {
    await keys.ensureSecret('edr-mobile');
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (err: { code?: string }) => err.code);
    expect(await code(retireSigningKey(store, keys.signing().kid))).toBe('ERR_FAILED_PRECONDITION');
    expect(await code(retireSigningKey(store, 'edr-mobile'))).toBe('ERR_FAILED_PRECONDITION');
    expect(await code(retireSigningKey(store, 'no-such-kid'))).toBe('ERR_KEY_NOT_FOUND');
  });
});

describe('HMAC secrets', () => {
  it('are stored encrypted; rotate-hmac replaces them and the ring serves the new one after reload', async () => {
    await keys.ensureSecret('edr-mobile');
    const record = (await store.listSigningKeys()).find((k) => k.kid === 'edr-mobile')!;
    const before = keys.secret('edr-mobile').export().toString('base64');
    expect(record.privateKeyPem).toMatch(/^enc:v1:/);
    expect(record.privateKeyPem).not.toContain(before);
    expect(await rotateHmacSecrets(store, box, clock)).toEqual(['edr-mobile']);
    await keys.reload();
    expect(keys.secret('edr-mobile').export().toString('base64')).not.toBe(before);
  });
});

describe('token IDs and key IDs', () => {
  it('makes 128-bit random token IDs in base64url, fresh across pool refills', () => {
    const ids = Array.from({ length: 5000 }, () => newTokenId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // 5000 IDs span many 256-ID pools: every byte position takes many values, so nothing repeats per pool.
    const firstChars = new Set(ids.map((id) => id[0]));
    expect(firstChars.size).toBeGreaterThan(50);
  });

  it('names a key by the first 16 characters of its RFC 7638 thumbprint, as jose computes it', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = publicKey.export({ format: 'jwk' });
    const full = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv, x: jwk.x, y: jwk.y }, 'sha256');
    expect(keyIdOf(publicKey)).toBe(full.slice(0, 16));
  });
});

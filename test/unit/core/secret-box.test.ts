import { randomBytes } from 'node:crypto';
import { createSecretBox, isSealed } from '../../../src/core/secret-box';

const secret = () => randomBytes(32).toString('base64url');
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'ok';
};

const OLD = secret();
const NEW = secret();
const PEM = '-----BEGIN TEST-----\nnot a real key\n-----END TEST-----\n';

it('seals with AES-256-GCM (fresh IV each time, no plaintext in the output) and opens again', () => {
  const box = createSecretBox([OLD]);
  const a = box.seal(PEM, 'kid-1/ES256');
  const b = box.seal(PEM, 'kid-1/ES256');
  expect(isSealed(a)).toBe(true);
  expect(a).not.toBe(b);
  expect(a).not.toContain('not a real key');
  expect(box.open(a, 'kid-1/ES256')).toBe(PEM);
  expect(box.sealedWith(a)).toBe(box.primaryId);
  expect(box.sealedWith(PEM)).toBeUndefined();
});

it('refuses a tampered ciphertext, a truncated one, and one moved to another record', () => {
  const box = createSecretBox([OLD]);
  const sealed = box.seal(PEM, 'kid-1/ES256');
  const data = sealed.slice(sealed.lastIndexOf(':') + 1);
  const raw = Buffer.from(data, 'base64url');
  for (const i of [0, 13, 30, raw.length - 1]) {
    const flipped = Buffer.from(raw);
    flipped[i] ^= 1;
    expect(codeOf(() => box.open(sealed.replace(data, flipped.toString('base64url')), 'kid-1/ES256'))).toBe('ERR_SECRET_INVALID');
  }
  expect(codeOf(() => box.open(sealed.replace(data, raw.subarray(0, 20).toString('base64url')), 'kid-1/ES256'))).toBe('ERR_SECRET_INVALID');
  expect(codeOf(() => box.open(sealed, 'kid-2/ES256'))).toBe('ERR_SECRET_INVALID');
  expect(codeOf(() => box.open(PEM, 'kid-1/ES256'))).toBe('ERR_SECRET_INVALID');
});

it('rotation: the first secret seals, every listed secret opens, and a secret not listed is named missing', () => {
  const before = createSecretBox([OLD]).seal(PEM, 'k');
  const rotated = createSecretBox([NEW, OLD]);
  expect(rotated.open(before, 'k')).toBe(PEM);
  const after = rotated.seal(PEM, 'k');
  expect(rotated.sealedWith(after)).toBe(rotated.primaryId);
  expect(rotated.sealedWith(before)).not.toBe(rotated.primaryId);
  // Once everything is re-sealed (`keys reencrypt`), the old secret can go.
  expect(createSecretBox([NEW]).open(after, 'k')).toBe(PEM);
  expect(codeOf(() => createSecretBox([NEW]).open(before, 'k'))).toBe('ERR_SECRET_MISSING');
});

it('refuses no secret and secrets shorter than 32 characters', () => {
  expect(codeOf(() => createSecretBox([]))).toBe('ERR_SECRET_MISSING');
  expect(codeOf(() => createSecretBox([OLD, 'short']))).toBe('ERR_SECRET_INVALID');
});

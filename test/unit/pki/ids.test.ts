import { checkId, isValidId } from '../../../src/pki/ids';

const codeOf = (value: unknown) => {
  try {
    checkId(value, 'tenantID');
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'accepted';
};

describe('checkId', () => {
  it.each(['a', 'Z', '0', 'acme', 'ACME-prod_1.eu', '...', '-_-', 'a'.repeat(64)])('accepts %j', (id) => {
    expect(checkId(id, 'tenantID')).toBe(id);
    expect(isValidId(id)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'a'.repeat(65)],
    ['a space', 'acme corp'],
    ['a slash', 'acme/evil'],
    ['a colon', 'acme:1'],
    ['a comma', 'a,b'],
    ['an at sign', 'admin@acme'],
    ['a trailing newline', 'acme\n'],
    ['a NUL byte', 'acme\0'],
    ['non-ASCII letters', 'acmé'],
    ['a full-width digit', 'acme１'],
  ])('rejects %s with ERR_INVALID_ARGUMENT', (_what, id) => {
    expect(codeOf(id)).toBe('ERR_INVALID_ARGUMENT');
    expect(isValidId(id)).toBe(false);
  });

  it.each([undefined, null, 42, ['acme'], { id: 'acme' }])('rejects the non-string %j with ERR_INVALID_ARGUMENT', (value) => {
    expect(codeOf(value)).toBe('ERR_INVALID_ARGUMENT');
  });
});

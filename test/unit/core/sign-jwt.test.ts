import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { signJwt } from '../../../src/core/sign-jwt';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const key = { kid: 'k1', privateKey };

describe('signJwt (ES256 compact serialization)', () => {
  it('makes tokens jsonwebtoken verifies with ES256 only, with the kid and the payload intact', () => {
    const payload = { sub: 'acme', tenant: 'acme', n: 1, nested: { 'x5t#S256': 'abc' }, uni: 'ü€' };
    const token = signJwt(payload, key);
    const { header, payload: claims } = jwt.verify(token, publicKey, { algorithms: ['ES256'], complete: true }) as jwt.Jwt;
    expect(header).toEqual({ alg: 'ES256', kid: 'k1' });
    expect(claims).toEqual(payload);
  });

  it('signatures are 64-byte IEEE P1363 (r||s), as RFC 7518 requires, and differ per token', () => {
    const a = signJwt({ a: 1 }, key).split('.')[2];
    const b = signJwt({ a: 1 }, key).split('.')[2];
    expect(Buffer.from(a, 'base64url')).toHaveLength(64);
    expect(a).not.toBe(b);
  });

  it('extra header fields (typ) are kept, but alg and kid always come from the key', () => {
    const token = signJwt({ a: 1 }, key, { typ: 'access', alg: 'none', kid: 'forged' });
    expect(jwt.decode(token, { complete: true })!.header).toEqual({ alg: 'ES256', typ: 'access', kid: 'k1' });
    expect(() => jwt.verify(token, publicKey, { algorithms: ['ES256'] })).not.toThrow();
  });

  it('a token of another key does not verify', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(() => jwt.verify(signJwt({ a: 1 }, { kid: 'k1', privateKey: other.privateKey }), publicKey, { algorithms: ['ES256'] })).toThrow();
  });
});

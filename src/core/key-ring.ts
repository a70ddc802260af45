/**
 * The token signing keys: ES256 (P-256), made on first start and kept in the store. The newest key
 * signs; every key verifies, so tokens outlive a rotation until they expire.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { SigningKeyRecord, Store } from '../store/store';
import { Clock, unixSeconds } from './clock';

export const TOKEN_ALGORITHM = 'ES256';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface KeyRing {
  signing(): SigningKey;
  verifying(kid: string): KeyObject | undefined;
  /** The public keys as a JWK Set, oldest first (built once per reload). */
  jwks(): { keys: Record<string, unknown>[] };
  reload(): Promise<void>;
}

/**
 * The `kid` of an EC public key: the first 16 characters (96 bits) of its RFC 7638 JWK thumbprint,
 * unique among a key ring's few keys and 27 bytes shorter in every token than the whole thumbprint.
 * (Keys made before this keep the kid they were stored with.)
 */
export function keyIdOf(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

export function newSigningKeyRecord(clock: Clock): SigningKeyRecord {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    kid: keyIdOf(publicKey),
    alg: TOKEN_ALGORITHM,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    createdAt: unixSeconds(clock),
  };
}

export async function createKeyRing(store: Store, clock: Clock): Promise<KeyRing> {
  let active: SigningKey;
  let publicKeys = new Map<string, KeyObject>();
  let jwks: { keys: Record<string, unknown>[] } = { keys: [] };

  async function reload(): Promise<void> {
    let records = (await store.listSigningKeys()).filter((r) => r.alg === TOKEN_ALGORITHM);
    if (records.length === 0) {
      await store.addSigningKey(newSigningKeyRecord(clock));
      records = (await store.listSigningKeys()).filter((r) => r.alg === TOKEN_ALGORITHM);
    }
    const newest = records[records.length - 1];
    active = { kid: newest.kid, privateKey: createPrivateKey(newest.privateKeyPem) };
    publicKeys = new Map(records.map((r) => [r.kid, createPublicKey(r.publicKeyPem)]));
    jwks = {
      keys: records.map((r) => ({ ...publicKeys.get(r.kid)!.export({ format: 'jwk' }), kid: r.kid, alg: TOKEN_ALGORITHM, use: 'sig' })),
    };
  }

  await reload();
  return {
    signing: () => active,
    verifying: (kid) => publicKeys.get(kid),
    jwks: () => jwks,
    reload,
  };
}

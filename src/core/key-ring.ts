/**
 * The token signing keys: ES256 (P-256), made on first start and kept in the store, encrypted by
 * the SecretBox. The newest key signs; every key verifies, so tokens outlive a rotation until they
 * expire, unless their key is retired. Also holds the HMAC secrets (HS256 records, one per name).
 */
import { createHash, createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { SigningKeyRecord, Store } from '../store/store';
import { Clock, unixSeconds } from './clock';
import { isSealed, SecretBox } from './secret-box';

export const TOKEN_ALGORITHM = 'ES256';
export const HMAC_ALGORITHM = 'HS256';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface KeyRing {
  signing(): SigningKey;
  verifying(kid: string): KeyObject | undefined;
  /** The public keys as a JWK Set, oldest first (built once per reload). */
  jwks(): { keys: Record<string, unknown>[] };
  /** The HMAC secret of this name (see ensureSecret); the current one after a rotation. */
  secret(name: string): KeyObject;
  /** Makes the HMAC secret of this name unless the store has it. */
  ensureSecret(name: string): Promise<void>;
  /** Reads the keys again; returns the kids that are gone (retired). */
  reload(): Promise<string[]>;
}

/** Additional data of a record's encryption: a sealed value opens only on the record it was made for. */
const contextOf = (r: Pick<SigningKeyRecord, 'kid' | 'alg'>) => `signing-key/${r.alg}/${r.kid}`;

/** The record's private part in clear (records written before encryption at rest are plaintext). */
export function openPrivatePart(record: SigningKeyRecord, box: SecretBox): string {
  return isSealed(record.privateKeyPem) ? box.open(record.privateKeyPem, contextOf(record)) : record.privateKeyPem;
}

/** The record with its private part sealed under the box's first secret. */
export function sealRecord(record: SigningKeyRecord, plaintext: string, box: SecretBox): SigningKeyRecord {
  return { ...record, privateKeyPem: box.seal(plaintext, contextOf(record)) };
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

export function newSigningKeyRecord(clock: Clock, box: SecretBox): SigningKeyRecord {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const record = { kid: keyIdOf(publicKey), alg: TOKEN_ALGORITHM, privateKeyPem: '', publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), createdAt: unixSeconds(clock) };
  return sealRecord(record, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), box);
}

/** A new random HMAC secret (256 bits) for the record `name`. */
export function newHmacRecord(name: string, clock: Clock, box: SecretBox): SigningKeyRecord {
  return sealRecord({ kid: name, alg: HMAC_ALGORITHM, privateKeyPem: '', publicKeyPem: '', createdAt: unixSeconds(clock) }, randomBytes(32).toString('base64'), box);
}

/** `onRetired`: called when a reload finds keys gone, so checks that trusted their tokens are made again. */
export async function createKeyRing(store: Store, clock: Clock, box: SecretBox, onRetired: (kids: string[]) => void = () => undefined): Promise<KeyRing> {
  let active: SigningKey;
  let publicKeys = new Map<string, KeyObject>();
  let secrets = new Map<string, KeyObject>();
  let jwks: { keys: Record<string, unknown>[] } = { keys: [] };

  async function reload(): Promise<string[]> {
    let all = await store.listSigningKeys();
    if (!all.some((r) => r.alg === TOKEN_ALGORITHM)) {
      await store.addSigningKey(newSigningKeyRecord(clock, box));
      all = await store.listSigningKeys();
    }
    const records = all.filter((r) => r.alg === TOKEN_ALGORITHM);
    // Public keys first: they need no secret, so a retirement takes effect even when a private part
    // below does not open (an instance given another system secret).
    const nextPublic = new Map(records.map((r) => [r.kid, createPublicKey(r.publicKeyPem)]));
    const retired = [...publicKeys.keys()].filter((kid) => !nextPublic.has(kid));
    publicKeys = nextPublic;
    jwks = {
      keys: records.map((r) => ({ ...nextPublic.get(r.kid)!.export({ format: 'jwk' }), kid: r.kid, alg: TOKEN_ALGORITHM, use: 'sig' })),
    };
    if (retired.length > 0) onRetired(retired);
    // The private parts are all opened before any is replaced: one that does not open leaves them as they were.
    const newest = records[records.length - 1];
    const nextActive = { kid: newest.kid, privateKey: createPrivateKey(openPrivatePart(newest, box)) };
    const nextSecrets = new Map(all.filter((r) => r.alg === HMAC_ALGORITHM).map((r) => [r.kid, createSecretKey(Buffer.from(openPrivatePart(r, box), 'base64'))]));
    active = nextActive;
    secrets = nextSecrets;
    return retired;
  }

  await reload();
  return {
    signing: () => active,
    verifying: (kid) => publicKeys.get(kid),
    jwks: () => jwks,
    secret(name) {
      const key = secrets.get(name);
      if (!key) throw new Error(`HMAC secret ${name} was not loaded (ensureSecret first)`);
      return key;
    },
    async ensureSecret(name) {
      if (secrets.has(name)) return;
      if (!(await store.listSigningKeys()).some((r) => r.kid === name && r.alg === HMAC_ALGORITHM)) {
        try {
          await store.addSigningKey(newHmacRecord(name, clock, box));
        } catch {
          // Another instance made it first; use theirs.
        }
      }
      await reload();
      if (!secrets.has(name)) throw new Error(`HMAC secret ${name} could not be made`);
    },
    reload,
  };
}

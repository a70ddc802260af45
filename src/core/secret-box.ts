/**
 * Encryption at rest of the secrets the store keeps (token signing keys, HMAC secrets), as Ory Hydra
 * does with SECRETS_SYSTEM: a list of system secrets, the first encrypts, every one decrypts, so a
 * secret is rotated by putting a new one first and re-encrypting (`keys reencrypt`).
 *
 * AES-256-GCM under a key derived from each secret by HKDF-SHA256. A sealed value is
 * `enc:v1:<secret id>:<base64url(iv ‖ tag ‖ ciphertext)>`; the secret id (a hash of the derived key,
 * not of the secret) tells which secret to use, so "not encrypted under any secret given" and
 * "tampered with" are told apart. The caller's context (e.g. the key's kid and algorithm) is bound as
 * additional data: a value copied onto another record does not open.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { SecretInvalid, SecretMissing } from '../errors';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** As long as a 256-bit key in base64; `openssl rand -base64 32` gives 44. */
export const MIN_SECRET_LENGTH = 32;

export interface SecretBox {
  /** Id of the first secret, the one `seal` uses. */
  readonly primaryId: string;
  seal(plaintext: string, context: string): string;
  /** Throws SecretMissing when no secret given made it, SecretInvalid when it was altered (or the context differs). */
  open(sealed: string, context: string): string;
  /** The id of the secret that sealed `value`; undefined for plaintext. */
  sealedWith(value: string): string | undefined;
}

export const isSealed = (value: string) => value.startsWith(PREFIX);

interface DerivedKey {
  id: string;
  key: Buffer;
}

function derive(secret: string): DerivedKey {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'master-gateway secret-box v1', 32));
  return { id: createHash('sha256').update(key).digest('base64url').slice(0, 12), key };
}

export function createSecretBox(secrets: readonly string[]): SecretBox {
  if (secrets.length === 0) throw new SecretMissing('no system secret given');
  for (const s of secrets) {
    if (s.length < MIN_SECRET_LENGTH) throw new SecretInvalid(`every system secret must have at least ${MIN_SECRET_LENGTH} characters`);
  }
  const keys = secrets.map(derive);
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  const primary = keys[0];

  return {
    primaryId: primary.id,

    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', primary.key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return `${PREFIX}${primary.id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
    },

    open(sealed, context) {
      if (!isSealed(sealed)) throw new SecretInvalid('value is not encrypted');
      const [id, data, extra] = sealed.slice(PREFIX.length).split(':');
      if (!id || data === undefined || extra !== undefined) throw new SecretInvalid('encrypted value is malformed');
      const key = byId.get(id);
      if (!key) throw new SecretMissing(`encrypted under system secret ${id}, which is not among the secrets given`);
      const raw = Buffer.from(data, 'base64url');
      if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretInvalid('encrypted value is truncated');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new SecretInvalid('encrypted value failed its integrity check (altered, or moved from another record)', { cause });
      }
    },

    sealedWith: (value) => (isSealed(value) ? value.slice(PREFIX.length).split(':')[0] : undefined),
  };
}

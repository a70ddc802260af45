/** The keys that sign tokens (ES256 key pairs, HS256 secrets), their private parts sealed at rest. */

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  /**
   * The private part (PKCS#8 PEM for ES256, a base64 secret for HS256) sealed by the SecretBox
   * (`enc:v1:…`); plaintext only in stores written before encryption at rest, sealed at the next start.
   */
  privateKeyPem: string;
  publicKeyPem: string;
  /** Unix seconds. */
  createdAt: number;
}

export interface SigningKeyStore {
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  addSigningKey(key: SigningKeyRecord): Promise<void>;
  /**
   * Replaces a key's record if its stored private part is still `expected` (compare and swap, so a
   * re-encryption never undoes a concurrent rotation); false when it changed or is gone.
   */
  replaceSigningKey(kid: string, expected: string, key: SigningKeyRecord): Promise<boolean>;
  /**
   * Deletes a key for good. Throws SigningKeyNotFound, or FailedPrecondition when it is the newest key
   * of its algorithm (the one signing): checked in the same transaction as the delete.
   */
  retireSigningKey(kid: string): Promise<void>;
}

/**
 * Key administration, one place for the CLI and the start-up: rotate and retire signing keys,
 * rotate the HMAC secrets, and (re-)encrypt what the store holds under the first system secret.
 * Running gateways follow every change through the store's change feed ('keys').
 */
import { FailedPrecondition } from '../errors';
import { SigningKeyRecord, SigningKeyStore } from '../store/store';
import { Clock } from './clock';
import { HMAC_ALGORITHM, newHmacRecord, newSigningKeyRecord, openPrivatePart, sealRecord, TOKEN_ALGORITHM } from './key-ring';
import { SecretBox } from './secret-box';

/** Adds a signing key; it signs from now on, older keys keep verifying until retired. */
export async function rotateSigningKey(store: SigningKeyStore, box: SecretBox, clock: Clock): Promise<SigningKeyRecord> {
  const record = newSigningKeyRecord(clock, box);
  await store.addSigningKey(record);
  return record;
}

/** Deletes a signing key for good: its tokens stop working and it leaves the JWKS. Refused for the signing key. */
export async function retireSigningKey(store: SigningKeyStore, kid: string): Promise<void> {
  const record = (await store.listSigningKeys()).find((k) => k.kid === kid);
  if (record && record.alg !== TOKEN_ALGORITHM) {
    throw new FailedPrecondition(`${kid} is an HMAC secret: rotate it (keys rotate-hmac) rather than retire it`);
  }
  await store.retireSigningKey(kid);
}

/**
 * Replaces every HMAC secret (or those named) with a new random one. The old one stops verifying at
 * once: the few short-lived values made with it (EDR mobile JWTs, 5 min; Cognito challenge sessions,
 * 3 min) must be asked for again. Returns the names rotated.
 */
export async function rotateHmacSecrets(store: SigningKeyStore, box: SecretBox, clock: Clock, names?: string[]): Promise<string[]> {
  const records = (await store.listSigningKeys()).filter((k) => k.alg === HMAC_ALGORITHM && (!names || names.includes(k.kid)));
  const missing = (names ?? []).filter((n) => !records.some((r) => r.kid === n));
  if (missing.length > 0) throw new FailedPrecondition(`no HMAC secret named ${missing.join(', ')} (known: ${(await hmacNames(store)).join(', ') || 'none yet'})`);
  for (const record of records) {
    if (!(await store.replaceSigningKey(record.kid, record.privateKeyPem, newHmacRecord(record.kid, clock, box)))) {
      throw new FailedPrecondition(`HMAC secret ${record.kid} changed meanwhile; run the command again`);
    }
  }
  return records.map((r) => r.kid);
}

async function hmacNames(store: SigningKeyStore): Promise<string[]> {
  return (await store.listSigningKeys()).filter((k) => k.alg === HMAC_ALGORITHM).map((k) => k.kid);
}

/**
 * Encrypts under the first system secret the records that need it: plaintext ones (written before
 * encryption at rest), and with `all` those sealed under another secret (`keys reencrypt`, after
 * which older secrets can be dropped). Every record is opened first, so a secret missing fails here,
 * with nothing changed. Returns how many records were written.
 */
export async function resealSigningKeys(store: SigningKeyStore, box: SecretBox, all: boolean): Promise<number> {
  let written = 0;
  // A record changed by someone else meanwhile (a rotation) is read again; three rounds are plenty.
  for (let round = 0; round < 3; round++) {
    const stale = (await store.listSigningKeys()).filter((r) => {
      const by = box.sealedWith(r.privateKeyPem);
      return by === undefined || (all && by !== box.primaryId);
    });
    if (stale.length === 0) return written;
    const opened = stale.map((r) => ({ record: r, plaintext: openPrivatePart(r, box) }));
    let conflicts = 0;
    for (const { record, plaintext } of opened) {
      if (await store.replaceSigningKey(record.kid, record.privateKeyPem, sealRecord(record, plaintext, box))) written++;
      else conflicts++;
    }
    if (conflicts === 0) return written;
  }
  throw new FailedPrecondition('signing keys kept changing while they were being encrypted; run again');
}

/** Opens every stored key: at start, a secret that does not fit fails here with a clear message, not at the first login. */
export async function checkSigningKeysOpen(store: SigningKeyStore, box: SecretBox): Promise<void> {
  for (const record of await store.listSigningKeys()) openPrivatePart(record, box);
}

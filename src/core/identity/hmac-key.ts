import { createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { Store } from '../../store/store';
import { Clock, unixSeconds } from '../clock';

export const HMAC_ALGORITHM = 'HS256';

/**
 * A secret for tokens only this gateway reads back (the EDR mobile JWT), made once and kept in the
 * store beside the signing keys, so every instance on the same store shares it.
 */
export async function loadHmacKey(store: Store, name: string, clock: Clock): Promise<KeyObject> {
  const find = async () => (await store.listSigningKeys()).find((k) => k.alg === HMAC_ALGORITHM && k.kid === name);
  let record = await find();
  if (!record) {
    try {
      await store.addSigningKey({ kid: name, alg: HMAC_ALGORITHM, privateKeyPem: randomBytes(32).toString('base64'), publicKeyPem: '', createdAt: unixSeconds(clock) });
    } catch {
      // Another instance made it first; use theirs.
    }
    record = await find();
  }
  return createSecretKey(Buffer.from(record!.privateKeyPem, 'base64'));
}

import { generateKeyPair as generateKeyPairCb, generateKeyPairSync, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

export type KeyType = 'rsa' | 'ec';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS#8 PEM, as the G-SDK clients expect. */
  privateKeyPem: string;
}

/** RSA-2048 (the profile's default) or ECDSA P-256 keys, made natively. */
export function generateKeyPair(type: KeyType = 'rsa'): KeyPair {
  const { privateKey, publicKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { privateKey, publicKey, privateKeyPem };
}

const generateAsync = promisify(generateKeyPairCb);

/** The same, on libuv's thread pool: RSA-2048 generation takes ~200 ms, too long for the server's event loop. */
export async function generateKeyPairAsync(type: KeyType = 'rsa'): Promise<KeyPair> {
  const { privateKey, publicKey } = type === 'ec' ? await generateAsync('ec', { namedCurve: 'prime256v1' }) : await generateAsync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { privateKey, publicKey, privateKeyPem };
}

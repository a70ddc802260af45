import { generateKeyPair as generateKeyPairCb, generateKeyPairSync, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { ResourceExhausted } from '../errors';

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

/** Key generations waiting for their turn; more are refused at once. */
export const MAX_WAITING_KEYGENS = 64;
let generating = false;
const waiting: (() => void)[] = [];

/**
 * One at a time, process-wide. libuv's pool has 4 threads, shared with file and DNS work: 16 parallel
 * RSA generations (~200 ms each) took every thread, and password logins (then on that pool too) waited 1–1.7 s behind them.
 */
async function oneAtATime<T>(task: () => Promise<T>): Promise<T> {
  if (generating) {
    if (waiting.length >= MAX_WAITING_KEYGENS) throw new ResourceExhausted('too many certificates are being issued at once; try again shortly');
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  generating = true;
  try {
    return await task();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else generating = false;
  }
}

/** The same, on libuv's thread pool (RSA-2048 takes ~200 ms, too long for the event loop), one at a time. */
export function generateKeyPairAsync(type: KeyType = 'rsa'): Promise<KeyPair> {
  return oneAtATime(async () => {
    const { privateKey, publicKey } = type === 'ec' ? await generateAsync('ec', { namedCurve: 'prime256v1' }) : await generateAsync('rsa', { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    return { privateKey, publicKey, privateKeyPem };
  });
}

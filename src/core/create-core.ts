/** Composition of the identity core from a store: key ring, directory, tokens and auth. */
import { Logger } from 'pino';
import { Store } from '../store/store';
import { Auth, createAuth } from './auth';
import { Clock } from './clock';
import { createDirectory, Directory } from './directory';
import { createKeyRing, KeyRing } from './key-ring';
import { createTokenService, TokenService } from './tokens';

export interface Core {
  store: Store;
  clock: Clock;
  keys: KeyRing;
  directory: Directory;
  tokens: TokenService;
  auth: Auth;
  close(): void;
}

export interface CoreOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  tokenIssuer: string;
  tokenTtlSeconds: number;
}

export async function createCore({ store, clock, log, tokenIssuer, tokenTtlSeconds }: CoreOptions): Promise<Core> {
  const keys = await createKeyRing(store, clock);
  const directory = await createDirectory(store, clock, (err) => log.error({ err }, 'reloading from the store failed'));
  const stopKeyReload = store.onChange((topic) => {
    if (topic === 'keys') keys.reload().catch((err: unknown) => log.error({ err }, 'reloading signing keys failed'));
  });
  const tokens = createTokenService({ issuer: tokenIssuer, ttlSeconds: tokenTtlSeconds, clock, keys });
  const auth = createAuth({ clock, directory, tokens, store });
  return {
    store,
    clock,
    keys,
    directory,
    tokens,
    auth,
    close() {
      stopKeyReload();
      directory.close();
    },
  };
}

import { loadConfig } from '../config';
import { openStore } from '../store/open-store';
import { Store } from '../store/store';

/**
 * Runs `fn` on the configured store (GATEWAY_DATABASE_URL, else GATEWAY_DATA_DIR or --data-dir) and
 * closes it. An embedded database that does not exist is an error (exit 2) unless `create` is asked.
 */
export async function withStore<T>(dataDir: string | undefined, fn: (store: Store) => Promise<T>, options: { create?: boolean } = {}): Promise<T> {
  const config = loadConfig(process.env, dataDir ? { dataDir } : {});
  const store = await openStore(config, { pollMs: 0, create: options.create ?? false });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

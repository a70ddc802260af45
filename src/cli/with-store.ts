import { loadConfig } from '../config';
import { openStore } from '../store/open-store';
import { Store } from '../store/store';

/** Runs `fn` on the configured store (GATEWAY_DATABASE_URL, else GATEWAY_DATA_DIR or --data-dir) and closes it. */
export async function withStore<T>(dataDir: string | undefined, fn: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, dataDir ? { dataDir } : {});
  const store = await openStore(config, { pollMs: 0 });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

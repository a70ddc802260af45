import { loadConfig } from '../config';
import { systemClock } from '../core/clock';
import { createDirectory } from '../core/directory';
import { createTenants, Tenants } from '../core/tenants';
import { Store } from '../store/store';
import { withStore } from './with-store';

/**
 * Runs `fn` with the tenant administration the Tenant API uses, on the configured store: the CLI
 * follows the same rules (a deleted tenant's certificates are blacklisted, the administrator tenant
 * stays, the configured gateway quota binds). Running gateways hear of the change through the store
 * and drop what it ended.
 */
export function withTenants<T>(dataDir: string | undefined, fn: (tenants: Tenants, store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, dataDir ? { dataDir } : {});
  return withStore(dataDir, async (store) => {
    const directory = await createDirectory(store, systemClock);
    // This process holds no device gateway sessions to end.
    const tenants = createTenants(store, directory, systemClock, () => undefined, config.maxGatewaysPerTenant);
    return fn(tenants, store);
  });
}

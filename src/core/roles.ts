/** Permission profiles (resource → verbs) that users hold; the Monogoto profile shows them. */
import { InvalidArgument } from '../errors';
import { RoleRecord, Store } from '../store/store';
import { Clock } from './clock';

export interface Roles {
  /** Creates the role or replaces its permissions (it keeps its creation time). */
  set(name: string, permissions: Record<string, string[]>): Promise<void>;
  list(): Promise<RoleRecord[]>;
  /** FailedPrecondition while users hold it, RoleNotFound if there is none (the store decides, in its transaction). */
  delete(name: string): Promise<void>;
}

const ROLE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function createRoles(store: Store, clock: Clock): Roles {
  return {
    async set(name, permissions) {
      if (!ROLE_NAME.test(name)) throw new InvalidArgument('role names are 1–64 characters of letters, digits, . _ -');
      const now = clock();
      const existing = await store.findRole(name);
      await store.putRole({ name, permissions, createdAt: existing?.createdAt ?? now, updatedAt: now });
    },
    list: () => store.listRoles(),
    delete: (name) => store.deleteRole(name),
  };
}

/**
 * The store: everything the gateway keeps, as one interface composed of one small interface per
 * area (src/store/parts/). Callers use the flat method names (`store.addTenants`); code that needs
 * one area can take just that part (`TenantStore`, `AuditStore`, …). Every method is atomic: it
 * applies all of its change or none.
 *
 * Backends: sqlite/ (embedded, one file) and postgres/ (several instances on one database). Each
 * implements every part in a file of its own (<area>-tables.ts) and composes them in its
 * <backend>-store.ts; the contract suite (test/contract/store-contract.ts), run against every
 * backend, is the definition of behaviour.
 *
 * A new backend is a folder beside them: its parts (every write through its one `Write`,
 * src/store/transaction.ts; rows mapped by src/store/rows.ts; changes told through
 * change-emitter.ts), its migrations and an open function returning a Store; plus one line in
 * open-store.ts's URL_BACKENDS, and a test file in test/unit/store calling describeStoreContract.
 * A new URL scheme must also be accepted by config.ts (it validates GATEWAY_DATABASE_URL).
 */
import { AuditStore } from './parts/audit-store';
import { CertificateStore } from './parts/certificate-store';
import { ChallengeStore } from './parts/challenge-store';
import { ChangeFeed } from './parts/change-feed';
import { IdentityPurgeStore } from './parts/identity-purge-store';
import { LockoutStore } from './parts/lockout-store';
import { PresenceStore } from './parts/presence-store';
import { RefreshTokenStore } from './parts/refresh-token-store';
import { RevocationStore } from './parts/revocation-store';
import { SigningKeyStore } from './parts/signing-key-store';
import { TenantStore } from './parts/tenant-store';
import { UserStore } from './parts/user-store';

export * from './parts/audit-store';
export * from './parts/certificate-store';
export * from './parts/challenge-store';
export * from './parts/change-feed';
export * from './parts/identity-purge-store';
export * from './parts/lockout-store';
export * from './parts/presence-store';
export * from './parts/refresh-token-store';
export * from './parts/revocation-store';
export * from './parts/signing-key-store';
export * from './parts/tenant-store';
export * from './parts/user-store';

export interface Store
  extends TenantStore,
    CertificateStore,
    RevocationStore,
    SigningKeyStore,
    UserStore,
    RefreshTokenStore,
    LockoutStore,
    IdentityPurgeStore,
    ChallengeStore,
    AuditStore,
    PresenceStore,
    ChangeFeed {
  /** Which backend: 'sqlite' or 'postgres'. */
  readonly kind: string;
  /** Resolves when the database answers; rejects with StoreUnavailable when it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

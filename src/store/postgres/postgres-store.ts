/**
 * The PostgreSQL store, for several gateway instances on one database. One file per part of the
 * Store (tenant-tables.ts, certificate-tables.ts, …), composed here. Every write that touches more
 * than one row is one transaction; its change topics are NOTIFYed inside that transaction, so other
 * instances hear of it when, and only if, it commits (change-feed.ts). Local listeners hear at once.
 */
import { createHash } from 'node:crypto';
import { StoreUnavailable } from '../../errors';
import { Store } from '../store';
import { auditTables } from './audit-tables';
import { certificateTables } from './certificate-tables';
import { challengeTables } from './challenge-tables';
import { createChangeFeed } from './change-feed';
import { ChangeListener, listenForChanges } from './change-listener';
import { createDatabase, PostgresStoreOptions } from './database';
import { identityPurgeTables } from './identity-purge-tables';
import { lockoutTables } from './lockout-tables';
import { migrate } from './migrations';
import { PostgresContext } from './postgres-context';
import { presenceTables } from './presence-tables';
import { refreshTokenTables } from './refresh-token-tables';
import { revocationTables } from './revocation-tables';
import { signingKeyTables } from './signing-key-tables';
import { toStoreError } from './store-error';
import { tenantTables } from './tenant-tables';
import { userTables } from './user-tables';

export type { PostgresStoreOptions } from './database';

/** Connects, applies the missing migrations and starts listening; throws StoreUnavailable when it cannot. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const db = createDatabase(url, options);
  let listener: ChangeListener | undefined;
  try {
    const schema = (await db.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0].schema;
    if (schema === null) throw new StoreUnavailable(`PostgreSQL at ${db.target}: no schema on the search_path exists`);
    await db.withClient(migrate);
    const channel = changeChannel(schema);
    const changes = createChangeFeed(db, channel);
    listener = await listenForChanges(db.clientConfig, channel, {
      onPayload: (payload) => changes.heard(payload),
      onReconnect: () => changes.announceAll(),
    }).catch((err: unknown) => {
      throw toStoreError(err, db.target, db.timeoutMs);
    });
    let open: ChangeListener | undefined = listener;
    const context: PostgresContext = { db, write: changes.write };
    const audit = auditTables(context);
    return {
      kind: 'postgres',
      ...tenantTables(context),
      ...certificateTables(context),
      ...revocationTables(context),
      ...signingKeyTables(context),
      ...userTables(context),
      ...refreshTokenTables(context),
      ...lockoutTables(context),
      ...identityPurgeTables(context),
      ...challengeTables(context),
      ...audit.store,
      ...presenceTables(context),
      onChange: changes.onChange,
      async ping() {
        await db.query('SELECT 1');
      },
      async close() {
        const closing = open;
        open = undefined;
        // Events already recorded are written before the pool ends (their callers still wait).
        await audit.drain();
        await closing?.close();
        await db.close();
      },
    };
  } catch (err) {
    await listener?.close();
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** Channels are per database; the schema in the name keeps stores in other schemas apart. */
function changeChannel(schema: string): string {
  const name = `mgw_changes_${schema}`;
  return Buffer.byteLength(name) <= 63 ? name : `mgw_changes_${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`;
}

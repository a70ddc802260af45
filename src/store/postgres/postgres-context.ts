import { BackendContext } from '../transaction';
import { Database, Query } from './database';

/**
 * What the PostgreSQL store's parts share: the pool (single statements, each atomic on its own),
 * and `write`, which runs its function in one transaction on one connection (`Query`), NOTIFYs the
 * topics to other instances inside it (so they hear only of committed writes) and, after COMMIT,
 * announces them to this instance's listeners.
 */
export type PostgresContext = BackendContext<Database, Query>;

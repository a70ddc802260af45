import { StoreTopic } from './store';

/**
 * The one transaction signature of every backend: runs `fn` in one transaction, given the
 * backend's handle to it (`Tx`); once it committed, the store's change listeners hear `topics`
 * (and other processes hear of them, each backend its own way). A failure rolls everything back
 * and announces nothing. Every write of a backend part goes through it.
 */
export type Write<Tx> = <T>(topics: readonly StoreTopic[], fn: (tx: Tx) => T | Promise<T>) => Promise<T>;

/** What each part of a backend is made from: its database handle for reads, and `write`. */
export interface BackendContext<Db, Tx> {
  readonly db: Db;
  readonly write: Write<Tx>;
}

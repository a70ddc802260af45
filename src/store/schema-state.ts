/** What a store's schema is, read without changing anything (doctor): the gateway migrates on open, doctor must not. */
export interface SchemaState {
  /** The highest migration applied; 0 when the database holds no gateway schema yet. */
  version: number;
  /** The highest migration this build has: the gateway migrates to it when it opens the store. */
  latest: number;
  /** Tenants registered, when the schema is one this build reads (version <= latest, above 0). */
  tenants?: number;
}

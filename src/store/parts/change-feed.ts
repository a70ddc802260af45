/** What changed, so caches built on the store know what to reload. */

export const STORE_TOPICS = ['tenants', 'blacklist', 'tokens', 'keys', 'certificates', 'users', 'presence'] as const;
export type StoreTopic = (typeof STORE_TOPICS)[number];

export interface ChangeFeed {
  /**
   * Calls back when data changed: through this instance (`external` false) or another process sharing
   * the data (true). A write's own topics are told after it committed, before its promise settles.
   */
  onChange(listener: (topic: StoreTopic, external: boolean) => void): () => void;
}

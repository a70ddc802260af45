/**
 * The PostgreSQL store's writes and its change feed. A write NOTIFYs its topics on the store's
 * channel inside its transaction, so other instances hear of it when, and only if, it commits;
 * this instance's listeners hear at once after COMMIT. What other instances NOTIFY arrives through
 * the LISTEN connection (change-listener.ts) as `heard`.
 */
import { randomUUID } from 'node:crypto';
import { createChangeEmitter } from '../change-emitter';
import { ChangeFeed, STORE_TOPICS, StoreTopic } from '../store';
import { Write } from '../transaction';
import { Database, Query } from './database';

export interface PostgresChangeFeed extends ChangeFeed {
  write: Write<Query>;
  /** A payload NOTIFYed on the channel (by any instance, this one included). */
  heard(payload: string): void;
  /** The LISTEN connection came back: what was sent while it was away is lost, so every topic may have changed. */
  announceAll(): void;
}

export function createChangeFeed(db: Database, channel: string): PostgresChangeFeed {
  const emitter = createChangeEmitter();
  /** Tags this instance's notifications, so it does not hear its own writes twice. */
  const origin = randomUUID();
  return {
    async write(topics, fn) {
      const payloads = topics.map((topic) => `${origin}:${topic}`);
      const result = await db.tx(async (q) => fn(q), { channel, payloads });
      for (const topic of topics) emitter.emit(topic, false);
      return result;
    },
    heard(payload) {
      const at = payload.indexOf(':');
      const topic = payload.slice(at + 1) as StoreTopic;
      if (payload.slice(0, at) !== origin && STORE_TOPICS.includes(topic)) emitter.emit(topic, true);
    },
    announceAll() {
      for (const topic of STORE_TOPICS) emitter.emit(topic, true);
    },
    onChange: emitter.onChange,
  };
}

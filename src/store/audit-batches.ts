/**
 * Group commit of the audit trail, each store's (the embedded store's groups are savepoints of its
 * own group commit, one per group rather than one per event). Events recorded close together (in the same turn of the event loop, or while the batch
 * before them is being written) reach the database in one statement, and a caller's promise settles
 * only when that statement committed: an acknowledged event is as durable as one written alone. A
 * batch the database refused is written again caller by caller when `alone(err)` says the statement,
 * not the database, was at fault, so a bad event refuses only its own caller; otherwise every caller
 * of the batch is refused. One write at a time, so events keep the order they were recorded in.
 */
import { AuditEvent } from './store';

/** Events per write; a caller's own group (recordAudits) larger than this is written alone, whole. */
export const MAX_AUDIT_BATCH = 256;

export interface AuditBatches {
  /** Resolves once `events` committed, all in one transaction with whatever else shares the batch. */
  add(events: AuditEvent[]): Promise<void>;
  /** Resolves once everything added so far was written (or refused): for close. */
  drain(): Promise<void>;
}

interface Waiting {
  events: AuditEvent[];
  resolve(): void;
  reject(err: unknown): void;
}

export interface AuditBatchOptions {
  /** Whether a failed batch is worth writing again caller by caller (default: never). */
  alone?: (err: unknown) => boolean;
  max?: number;
}

/** `writeBatch` writes its events in one transaction, in order, all or none. */
export function createAuditBatches(writeBatch: (events: AuditEvent[]) => Promise<void>, options: AuditBatchOptions = {}): AuditBatches {
  const max = options.max ?? MAX_AUDIT_BATCH;
  let queue: Waiting[] = [];
  let writing: Promise<void> | undefined;

  /** The first callers whose events fit in `max` (at least one caller). */
  const take = (): Waiting[] => {
    let n = 0;
    for (let count = 0; n < queue.length && (n === 0 || count + queue[n].events.length <= max); n++) count += queue[n].events.length;
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    return batch;
  };

  async function writeAlone(batch: Waiting[]): Promise<void> {
    for (const w of batch) {
      try {
        await writeBatch(w.events);
        w.resolve();
      } catch (err) {
        w.reject(err);
      }
    }
  }

  async function writeQueued(): Promise<void> {
    while (queue.length > 0) {
      const batch = take();
      try {
        await writeBatch(batch.length === 1 ? batch[0].events : batch.flatMap((w) => w.events));
        for (const w of batch) w.resolve();
      } catch (err) {
        if (batch.length > 1 && options.alone?.(err)) await writeAlone(batch);
        else for (const w of batch) w.reject(err);
      }
    }
    writing = undefined;
  }

  return {
    add(events) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ events, resolve, reject });
        // setImmediate runs after the poll phase: every request read in this turn of the loop joins the batch.
        writing ??= new Promise<void>((ready) => setImmediate(ready)).then(writeQueued);
      });
    },
    drain: () => writing ?? Promise.resolve(),
  };
}

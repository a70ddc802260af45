/**
 * The one connection that LISTENs for other instances' change topics. When it breaks it reconnects
 * with backoff, and reports a reconnect so the store can announce every topic: notifications sent
 * while it was away are lost. A periodic ping notices a connection that died without a word.
 */
import { Client, ClientConfig } from 'pg';

export interface ChangeListener {
  close(): Promise<void>;
}

export interface ChangeListenerOptions {
  onPayload: (payload: string) => void;
  onReconnect: () => void;
  pingMs?: number;
}

const MIN_DELAY_MS = 100;
const MAX_DELAY_MS = 5000;

/** Resolves once LISTEN is in place; rejects with pg's error when the first connection fails. */
export async function listenForChanges(config: ClientConfig, channel: string, options: ChangeListenerOptions): Promise<ChangeListener> {
  let client: Client | undefined;
  let closed = false;
  let delay = MIN_DELAY_MS;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const c = new Client(config);
    client = c;
    // 'error' is always followed by 'end', which is where reconnecting starts.
    c.on('error', () => undefined);
    c.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload) options.onPayload(msg.payload);
    });
    c.on('end', () => {
      if (client !== c) return;
      client = undefined;
      schedule();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${c.escapeIdentifier(channel)}`);
    } catch (err) {
      if (client === c) client = undefined;
      await c.end().catch(() => undefined);
      throw err;
    }
  };

  const schedule = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(
        () => {
          delay = MIN_DELAY_MS;
          options.onReconnect();
        },
        () => {
          delay = Math.min(delay * 2, MAX_DELAY_MS);
          schedule();
        },
      );
    }, delay);
  };

  const ping = setInterval(() => {
    const c = client;
    // A failed ping drops the connection without waiting for it to close (a dead peer may never answer).
    c?.query('SELECT 1').catch(() => {
      if (client !== c) return;
      client = undefined;
      c.end().catch(() => undefined);
      schedule();
    });
  }, options.pingMs ?? 10_000);
  ping.unref();

  try {
    await connect();
  } catch (err) {
    closed = true;
    clearInterval(ping);
    throw err;
  }

  return {
    async close() {
      closed = true;
      clearInterval(ping);
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

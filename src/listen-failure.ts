/**
 * A listener that cannot bind ends the start with one clear line: which door, which address, why,
 * and which setting moves it. grpc-js hides the errno in its message, so both shapes are read.
 */
import { ListenFailed } from './errors';

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'no permission to bind this port',
  EADDRNOTAVAIL: 'this host has no such address',
};

export function listenFailed(door: string, host: string, port: number, setting: string, err: unknown): ListenFailed {
  const message = err instanceof Error ? err.message : String(err);
  const errno = (err as NodeJS.ErrnoException)?.code ?? Object.keys(REASONS).find((code) => message.includes(code));
  const reason = errno && REASONS[errno] ? `${REASONS[errno]} (${errno})` : message;
  return new ListenFailed(`cannot listen for ${door} on ${host}:${port}: ${reason}; free it or change ${setting}`, { cause: err });
}

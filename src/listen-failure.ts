/**
 * A listener that cannot bind ends the start with one clear line: which door, which address, why,
 * and which setting moves it. grpc-js hides the errno in its message, so both shapes are read.
 */
import { Server } from 'node:net';
import { ListenFailed } from './errors';

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'no permission to bind this port',
  EADDRNOTAVAIL: 'this host has no such address',
};

/** A ListenFailed for a bind error; any other error is returned as it is, not relabelled. */
export function asListenFailure(door: string, host: string, port: number, setting: string, err: unknown): unknown {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const errno = code && REASONS[code] ? code : Object.keys(REASONS).find((c) => message.includes(c));
  if (!errno) return err;
  return new ListenFailed(`cannot listen for ${door} on ${host}:${port}: ${REASONS[errno]} (${errno}); free it or change ${setting}`, { cause: err });
}

/** Binds a node:net-style server and resolves with the port it got (port 0: the one the system chose); a bind error rejects. */
export function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

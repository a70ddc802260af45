/** A TCP proxy on 127.0.0.1 that a test can cut (closing every connection) and restore on the same port. */
import { AddressInfo, createServer, Server, Socket } from 'node:net';

export interface CuttableProxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
}

export async function createCuttableProxy(host: string, port: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  const pipe = (client: Socket) => {
    const upstream = new Socket();
    upstream.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined).on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };
  const listen = (at: number) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer(pipe);
      server.once('error', reject).listen(at, '127.0.0.1', () => resolve(server));
    });
  let server: Server | undefined = await listen(0);
  const proxyPort = (server.address() as AddressInfo).port;
  return {
    port: proxyPort,
    cut: () =>
      new Promise<void>((resolve) => {
        const s = server;
        server = undefined;
        for (const socket of sockets) socket.destroy();
        if (s) s.close(() => resolve());
        else resolve();
      }),
    async restore() {
      server ??= await listen(proxyPort);
    },
  };
}

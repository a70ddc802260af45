/**
 * Whether each configured port is free for `serve`, or held: by this gateway (it presents our server
 * certificate, so it is running) or by something else (serve would fail with ERR_LISTEN_FAILED).
 */
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import { connect } from 'node:tls';
import { Config, ENV_NAMES } from '../../config';
import { Finding, well, wrong } from './finding';

const PROBE_MS = 2000;

function tryBind(host: string, port: number): Promise<'free' | string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

/** The SHA-256 fingerprint of the certificate whatever listens there presents, if it speaks TLS. */
function presented(host: string, port: number): Promise<string | undefined> {
  const dial = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return new Promise((resolve) => {
    const socket = connect({ host: dial, port, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'], timeout: PROBE_MS });
    const done = (value: string | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.once('secureConnect', () => done(socket.getPeerX509Certificate()?.fingerprint256));
    socket.once('timeout', () => done(undefined));
    socket.once('error', () => done(undefined));
  });
}

export async function checkPorts(config: Readonly<Config>, ours: X509Certificate[]): Promise<Finding[]> {
  const doors = [
    { name: 'gRPC', host: config.grpcHost, port: config.grpcPort, env: ENV_NAMES.grpcPort },
    { name: 'HTTP', host: config.httpHost, port: config.httpPort, env: ENV_NAMES.httpPort },
  ];
  const findings: Finding[] = [];
  for (const door of doors) {
    const subject = `${door.name} ${door.host}:${door.port}`;
    if (door.port === -1) findings.push(well('ports', subject, 'off'));
    else if (door.port === 0) findings.push(well('ports', subject, 'any free port, chosen at start'));
    else {
      const bound = await tryBind(door.host, door.port);
      if (bound === 'free') findings.push(well('ports', subject, 'free'));
      else if (bound !== 'EADDRINUSE') findings.push(wrong('ports', subject, `cannot be bound (${bound})`, `choose another port (${door.env}) or allow this one`));
      else {
        const fingerprint = await presented(door.host, door.port);
        if (fingerprint && ours.some((c) => c.fingerprint256 === fingerprint)) findings.push(well('ports', subject, 'held by this gateway (it is running)'));
        else findings.push(wrong('ports', subject, 'held by another process: serve would fail to start', `stop what listens on ${door.host}:${door.port}, or choose another port (${door.env})`));
      }
    }
  }
  return findings;
}

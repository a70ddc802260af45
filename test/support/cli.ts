/** Runs the built CLI (`bin/master-gateway.js`, compiled by `npm run build`) as a user would. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(__dirname, '..', '..', 'bin', 'master-gateway.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    // Any free operations port: test processes run side by side (the default 9464 would collide).
    env: { PATH: process.env.PATH, GATEWAY_OPS_PORT: '0', ...env },
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface ServeProcess {
  port: number;
  httpPort: number;
  output: () => string;
  /** Sends a signal without waiting for anything; `running()` tells whether the process is still there. */
  signal(signal: NodeJS.Signals): void;
  running(): boolean;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `master-gateway serve` and resolves once it logs the port it serves on. */
export function serve(env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { PATH: process.env.PATH, GATEWAY_GRPC_HOST: '127.0.0.1', GATEWAY_GRPC_PORT: '0', GATEWAY_HTTP_HOST: '127.0.0.1', GATEWAY_HTTP_PORT: '0', GATEWAY_OPS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"port":(\d+),(?:"httpPort":(\d+),)?.*"msg":"master gateway serving"/.exec(out);
      if (match) {
        resolve({
          port: Number(match[1]),
          httpPort: Number(match[2]),
          output: () => out,
          signal: (signal) => child.kill(signal),
          running: () => child.exitCode === null && child.signalCode === null,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then((code) => reject(new Error(`serve exited with ${code} before serving:\n${out}`)));
  });
}

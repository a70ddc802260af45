/**
 * Pins what the gRPC door relies on from grpc-js (src/grpc/grpc-internals.ts). When grpc-js is
 * upgraded this fails first: re-check the injector and the options it honours (the stream, idle and
 * message limits are tested over real TLS in test/integration/grpc-door-limits.test.ts), then
 * update CHECKED_GRPC_JS_VERSION.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKED_GRPC_JS_VERSION, createInjector } from '../../../src/grpc/grpc-internals';
import { startTestGateway } from '../../support/gateway';

const installed = (JSON.parse(readFileSync(join(require.resolve('@grpc/grpc-js'), '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

it('is the grpc-js version the door was checked against', () => {
  expect(installed).toBe(CHECKED_GRPC_JS_VERSION);
});

it('gets an injector with the shape the door uses from a real grpc-js server', () => {
  const server = new grpc.Server();
  const injector = createInjector(server);
  expect(typeof injector.injectConnection).toBe('function');
  expect(typeof injector.destroy).toBe('function');
  injector.destroy();
  server.forceShutdown();
});

it.each([
  ['has no createConnectionInjector', () => undefined],
  ['returns an injector of another shape', () => () => ({ inject: () => undefined })],
])('refuses a grpc-js whose server %s', (_name, replacement) => {
  const server = new grpc.Server();
  Object.defineProperty(server, 'createConnectionInjector', { value: replacement() });
  expect(() => createInjector(server)).toThrow(expect.objectContaining({ code: 'ERR_GRPC_JS_INCOMPATIBLE' }));
  server.forceShutdown();
});

it('the gateway refuses to start when the injector is gone', async () => {
  const spy = jest.spyOn(grpc.Server.prototype, 'createConnectionInjector').mockImplementation(() => undefined as unknown as grpc.ConnectionInjector);
  try {
    await expect(startTestGateway()).rejects.toMatchObject({ code: 'ERR_GRPC_JS_INCOMPATIBLE' });
  } finally {
    spy.mockRestore();
  }
});

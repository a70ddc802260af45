import { GatewayError } from '../../src/errors';
import { asListenFailure } from '../../src/listen-failure';

const bindError = (code: string) => Object.assign(new Error(`listen ${code}: 127.0.0.1:8080`), { code });

it('turns a bind errno, or grpc-js message naming one, into ERR_LISTEN_FAILED naming door, address and setting', () => {
  const http = asListenFailure('HTTPS', '127.0.0.1', 8080, 'GATEWAY_HTTP_PORT', bindError('EADDRINUSE')) as GatewayError;
  expect(http.code).toBe('ERR_LISTEN_FAILED');
  expect(http.message).toBe('cannot listen for HTTPS on 127.0.0.1:8080: the port is already in use (EADDRINUSE); free it or change GATEWAY_HTTP_PORT');
  const grpc = asListenFailure('gRPC', '0.0.0.0', 443, 'GATEWAY_GRPC_PORT', new Error('No address added out of total 1 resolved errors: [listen EACCES: permission denied 0.0.0.0:443]')) as GatewayError;
  expect(grpc.code).toBe('ERR_LISTEN_FAILED');
  expect(grpc.message).toContain('no permission to bind this port (EACCES)');
});

it('leaves any other error as it is', () => {
  const other = new TypeError('boom');
  expect(asListenFailure('gRPC', '0.0.0.0', 4010, 'GATEWAY_GRPC_PORT', other)).toBe(other);
});

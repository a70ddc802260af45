/**
 * The first thing every call meets, before its handler and before its message is parsed:
 * - stamps the call with its connection's address pair (CONNECTION_KEY), overwriting whatever a
 *   client sent, so handlers find the connection's certificate;
 * - lets only Login and LoginAdmin through on a connection whose certificate is not in standing
 *   (expired, not yet valid, blacklisted since it connected, or naming no client), health and
 *   reflection included: such a certificate completes the handshake only so Login can say why;
 * - ends a call whose request was too large for its method (see message-limits) with
 *   RESOURCE_EXHAUSTED.
 */
import { Metadata, ResponderBuilder, ServerInterceptingCall, ServerInterceptor, ServerListenerBuilder } from '@grpc/grpc-js';
import { Logger } from 'pino';
import { Auth } from '../core/auth';
import { ResourceExhausted } from '../errors';
import { toStatus } from './call';
import { OVERSIZED, requestLimit } from './message-limits';
import { CONNECTION_KEY, connectionKey, PeerRegistry } from './peer-registry';

/** The calls whose handlers check the certificate themselves and report why it is refused. */
const LOGIN_METHODS = new Set(['/gsdk.login.Login/Login', '/gsdk.login.Login/LoginAdmin', '/login.Login/Login', '/login.Login/LoginAdmin']);

export function createDoorInterceptor(peers: PeerRegistry, auth: Auth, log: Logger): ServerInterceptor {
  return (method, call) => {
    const open = LOGIN_METHODS.has(method.path);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata: Metadata, next) => {
        const c = call.getConnectionInfo();
        const key = connectionKey(c.localAddress, c.localPort, c.remoteAddress, c.remotePort);
        metadata.set(CONNECTION_KEY, key);
        if (!open) {
          try {
            auth.checkConnection(peers.peerByKey(key));
          } catch (err) {
            call.sendStatus(toStatus(err, log.child({ method: method.path })));
            return;
          }
        }
        next(metadata);
      })
      .withOnReceiveMessage((message: unknown, next) => {
        if (message !== OVERSIZED) return next(message);
        const err = new ResourceExhausted(`request message is larger than ${requestLimit(method.path)} bytes, the most ${method.path} takes`);
        call.sendStatus(toStatus(err, log.child({ method: method.path })));
      })
      .build();
    return new ServerInterceptingCall(call, new ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

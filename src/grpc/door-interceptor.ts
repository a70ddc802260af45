/**
 * The first thing every call meets, before its handler and before its message is parsed:
 * - stamps the call with its connection's address pair (CONNECTION_KEY), overwriting whatever a
 *   client sent, so handlers find the connection's certificate;
 * - lets only Login, LoginAdmin and Logout through on a connection whose certificate is not in
 *   standing (expired, not yet valid, blacklisted since it connected, or naming no client), health
 *   and reflection included: such a certificate completes the handshake only so Login can say why;
 *   the three check the certificate themselves, and their refusals are audited (login-audit.ts);
 * - ends a call whose request was too large for its method (see message-limits) with
 *   RESOURCE_EXHAUSTED;
 * - at debug level, logs one line per call as its status is sent, or as the client cancels it
 *   (status CANCELLED): method, status, duration, and the certificate's serial and tenant (never the
 *   token). With debug off a call pays one level check.
 */
import { Metadata, ResponderBuilder, ServerInterceptingCall, ServerInterceptor, ServerListenerBuilder, status as Status, StatusObject } from '@grpc/grpc-js';
import { Logger } from 'pino';
import { Auth } from '../core/auth';
import { Peer } from '../core/peer';
import { ResourceExhausted } from '../errors';
import { toStatus } from './call';
import { OVERSIZED, requestLimit } from './message-limits';
import { CONNECTION_KEY, connectionKey, PeerRegistry } from './peer-registry';

/**
 * The calls whose handlers check the certificate themselves, report why it is refused and audit the
 * refusal (the "Login, LoginAdmin and Logout, success and refusal"). Logout checks it with
 * its token (auth.logout), so it needs no pass here either.
 */
const LOGIN_METHODS = new Set(['Login', 'LoginAdmin', 'Logout'].flatMap((m) => [`/gsdk.login.Login/${m}`, `/login.Login/${m}`]));

export function createDoorInterceptor(peers: PeerRegistry, auth: Auth, log: Logger): ServerInterceptor {
  return (method, call) => {
    const open = LOGIN_METHODS.has(method.path);
    /** When the call started, for its debug line; -1 when debug is off (no line, nothing measured). */
    const started = log.isLevelEnabled('debug') ? performance.now() : -1;
    let key: string | undefined;
    /** One line per call: grpc-js also reports a cancel after every status it sends, and a cancelled handler may still answer. */
    let logged = false;
    const line = (status: { code: Status }) => {
      if (started < 0 || logged) return;
      logged = true;
      callLine(log, method.path, peers.peerByKey(key), started, status);
    };
    /** Refusals sent from here bypass the responder below: they log their debug line themselves. */
    const refuse = (status: Pick<StatusObject, 'code' | 'details'>) => {
      line(status);
      call.sendStatus(status);
    };
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata: Metadata, next) => {
        const c = call.getConnectionInfo();
        key = connectionKey(c.localAddress, c.localPort, c.remoteAddress, c.remotePort);
        metadata.set(CONNECTION_KEY, key);
        if (!open) {
          try {
            auth.checkConnection(peers.peerByKey(key));
          } catch (err) {
            refuse(toStatus(err, log.child({ method: method.path })));
            return;
          }
        }
        next(metadata);
      })
      .withOnReceiveMessage((message: unknown, next) => {
        if (message !== OVERSIZED) return next(message);
        const err = new ResourceExhausted(`request message is larger than ${requestLimit(method.path)} bytes, the most ${method.path} takes`);
        refuse(toStatus(err, log.child({ method: method.path })));
      });
    // The client went away before any status: the call still gets its line.
    if (started >= 0) listener.withOnCancel(() => line({ code: Status.CANCELLED }));
    const built = listener.build();
    const responder = new ResponderBuilder().withStart((next) => next(built));
    if (started >= 0) {
      responder.withSendStatus((status, next) => {
        line(status);
        next(status);
      });
    }
    return new ServerInterceptingCall(call, responder.build());
  };
}

/** The per-call debug line (`status` is the gRPC status name; `code` stays for ERR_ codes, as in every refusal line). */
function callLine(log: Logger, method: string, peer: Peer | undefined, started: number, status: { code: Status }): void {
  const tenant = peer && 'tenantId' in peer.identity ? peer.identity.tenantId : undefined;
  log.debug({ method, status: Status[status.code], ms: Math.round((performance.now() - started) * 10) / 10, serial: peer?.serial.toString(), tenant }, 'gRPC call');
}

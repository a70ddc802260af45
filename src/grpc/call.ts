/**
 * The one adapter between grpc-js handlers and the core: reads the peer and the `token` metadata,
 * authenticates protected calls, maps thrown errors through the error table and logs without secrets.
 */
import { handleServerStreamingCall, handleUnaryCall, Metadata, sendUnaryData, ServerUnaryCall, ServerWritableStream, StatusObject } from '@grpc/grpc-js';
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call';
import { Logger } from 'pino';
import { Auth } from '../core/auth';
import { Peer, VerifiedToken } from '../core/peer';
import { toPublic } from '../errors';
import { GRPC_STATUS } from './status';
import { PeerRegistry } from './peer-registry';

/** Counts calls (the operations listener's /metrics); one handle per method, made with its handler. */
export interface CallMetrics {
  grpcMethod(method: string): { done(code: number, startMs: number): void };
  /** Streaming calls, counted by src/grpc/stream-counter.ts as they open and end. */
  grpcStream(method: string): { opened(): void; closed(): void };
}

const NO_CALL_METRICS: Pick<CallMetrics, 'grpcMethod'> = { grpcMethod: () => ({ done: () => undefined }) };

export interface GrpcDeps {
  auth: Auth;
  peers: PeerRegistry;
  log: Logger;
  metrics?: CallMetrics;
}

export interface PublicContext {
  peer: Peer | undefined;
  token: string | undefined;
  /** The call's logger (bound to method and peer), made the first time it is used. */
  readonly log: Logger;
  call: ServerSurfaceCall;
  /** Logs at info level; costs nothing when info is off (no per-call logger is made). */
  info(fields: object, message: string): void;
}

export interface AuthedContext extends PublicContext {
  caller: VerifiedToken;
}

function tokenOf(metadata: Metadata): string | undefined {
  const value = metadata.get('token')[0];
  const token = typeof value === 'string' ? value : value?.toString('utf8');
  return token ? token : undefined;
}

/** One per call; a class so the per-call object has a fixed shape and no closures. */
class CallContext implements PublicContext {
  peer: Peer | undefined;
  token: string | undefined;
  caller: VerifiedToken | undefined = undefined;
  private childLog: Logger | undefined = undefined;

  constructor(
    private readonly deps: GrpcDeps,
    readonly call: ServerSurfaceCall,
    private readonly method: string,
  ) {
    this.peer = deps.peers.peerOf(call);
    this.token = tokenOf(call.metadata);
  }

  get log(): Logger {
    this.childLog ??= this.deps.log.child({ method: this.method, peer: this.peer?.thumbprint, serial: this.peer?.serial.toString() });
    return this.childLog;
  }

  info(fields: object, message: string): void {
    if (this.deps.log.isLevelEnabled('info')) this.log.info(fields, message);
  }
}

export function contextOf(deps: GrpcDeps, call: ServerSurfaceCall, method: string): PublicContext {
  return new CallContext(deps, call, method);
}

function authed(ctx: PublicContext, caller: VerifiedToken): AuthedContext {
  (ctx as CallContext).caller = caller;
  return ctx as AuthedContext;
}

export function toStatus(err: unknown, log: Logger): Pick<StatusObject, 'code' | 'details'> {
  const pub = toPublic(err);
  if (pub.code === 'ERR_INTERNAL') log.error({ err }, 'unexpected failure');
  else if (log.isLevelEnabled('info')) log.info({ code: pub.code, reason: pub.message }, 'call refused');
  return { code: GRPC_STATUS[pub.code], details: pub.message };
}

/** A unary handler reachable without a token (Login, LoginAdmin). */
export function publicUnary<Req, Res>(
  deps: GrpcDeps,
  method: string,
  fn: (request: Req, ctx: PublicContext) => Res | Promise<Res>,
): handleUnaryCall<Req, Res> {
  // Resolved once per method: a call costs two clock reads and a few array writes (src/ops/gateway-metrics.ts).
  const metric = (deps.metrics ?? NO_CALL_METRICS).grpcMethod(method);
  const refuse = (err: unknown, log: Logger, start: number) => {
    const status = toStatus(err, log);
    metric.done(status.code, start);
    return status;
  };
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const start = performance.now();
    const ctx = contextOf(deps, call, method);
    try {
      const result = fn(call.request, ctx);
      if (result instanceof Promise) {
        result.then(
          (res) => {
            metric.done(0, start);
            callback(null, res);
          },
          (err: unknown) => callback(refuse(err, ctx.log, start)),
        );
      } else {
        metric.done(0, start);
        callback(null, result);
      }
    } catch (err) {
      callback(refuse(err, ctx.log, start));
    }
  };
}

/** A unary handler that needs a valid token bound to the connection's certificate. */
export function authedUnary<Req, Res>(
  deps: GrpcDeps,
  method: string,
  fn: (request: Req, ctx: AuthedContext) => Res | Promise<Res>,
): handleUnaryCall<Req, Res> {
  return publicUnary<Req, Res>(deps, method, (request, ctx) => {
    const caller = deps.auth.authenticate(ctx.peer, ctx.token);
    // No promise on the warm path: a token already checked on this connection answers at once.
    if (caller instanceof Promise) return caller.then((checked) => fn(request, authed(ctx, checked)));
    return fn(request, authed(ctx, caller));
  });
}

/** A server-streaming handler that needs a valid token. */
export function authedServerStream<Req, Res>(
  deps: GrpcDeps,
  method: string,
  fn: (call: ServerWritableStream<Req, Res>, ctx: AuthedContext) => void | Promise<void>,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const ctx = contextOf(deps, call, method);
    try {
      const caller = deps.auth.authenticate(ctx.peer, ctx.token);
      // A client that cancelled while the token was looked up is gone: its handler must not start
      // (its 'cancelled' and 'close' events have fired already, so nothing would ever stop it).
      const started =
        caller instanceof Promise ? caller.then((checked) => (call.cancelled ? undefined : fn(call, authed(ctx, checked)))) : fn(call, authed(ctx, caller));
      Promise.resolve(started).catch((err: unknown) => failStream(call, err, ctx.log));
    } catch (err) {
      failStream(call, err, ctx.log);
    }
  };
}

/** Ends a server or bidi stream with the error's status (grpc-js sends it on the 'error' event, not on destroy). */
export function failStream(call: ServerSurfaceCall & NodeJS.EventEmitter, err: unknown, log: Logger): void {
  call.emit('error', toStatus(err, log));
}

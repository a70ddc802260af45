/**
 * Counts streaming calls (status streams, device gateway channels, health watches, reflection) as
 * they open and as they end, for /metrics. It is the server's first interceptor, the one next to
 * grpc-js's own call, so it also sees the status of a stream the door interceptor refuses; a stream
 * that ends with no status sent (cancelled, connection gone) ends at its cancel. Unary calls pass
 * through untouched.
 */
import { ResponderBuilder, ServerInterceptingCall, ServerInterceptor, ServerListenerBuilder } from '@grpc/grpc-js';
import { CallMetrics } from './call';

/** '/gsdk.gateway.Gateway/SubscribeStatus' → 'Gateway.SubscribeStatus' (its pre-V1.5 alias names the same). */
export function methodName(path: string): string {
  const [service, method] = path.slice(1).split('/');
  return `${service.slice(service.lastIndexOf('.') + 1)}.${method}`;
}

export function createStreamCounter(metrics: Pick<CallMetrics, 'grpcStream'>): ServerInterceptor {
  // Only registered methods reach interceptors as streaming ones, so the paths are a closed set.
  const handles = new Map<string, ReturnType<CallMetrics['grpcStream']>>();
  return (method, call) => {
    // grpc-js types the result as a ServerInterceptingCall, but chains any call object: a unary call
    // goes on as it came, with no layer added.
    if (!method.requestStream && !method.responseStream) return call as ServerInterceptingCall;
    let handle = handles.get(method.path);
    if (handle === undefined) {
      handle = metrics.grpcStream(methodName(method.path));
      handles.set(method.path, handle);
    }
    const counted = handle;
    counted.opened();
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      counted.closed();
    };
    const listener = new ServerListenerBuilder().withOnCancel(close).build();
    const responder = new ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendStatus((status, next) => {
        close();
        next(status);
      })
      .build();
    return new ServerInterceptingCall(call, responder);
  };
}

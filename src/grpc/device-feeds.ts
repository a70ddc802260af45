/**
 * gsdk.master.Master's InitLogChan and InitDeviceStatusChan: a subscribed device gateway streams its
 * devices' realtime events and connection changes; the master answers once the gateway ends the
 * stream (or ends it for the gateway: cut off = UNAUTHENTICATED or PERMISSION_DENIED, shutdown = UNAVAILABLE).
 */
import { handleClientStreamingCall, ServerReadableStream, sendUnaryData } from '@grpc/grpc-js';
import { Logger } from 'pino';
import { Core } from '../core/create-core';
import { Session } from '../core/sessions';
import { Status } from '../gen/gsdk/connect/connect';
import { DeviceStatus, RealtimeEvent } from '../gen/gsdk/master/master';
import { contextOf, GrpcDeps, toStatus } from './call';

/** G-SDK connection states in which the device can be reached through its gateway. */
const REACHABLE: ReadonlySet<Status> = new Set([Status.TCP_CONNECTED, Status.TLS_CONNECTED]);

type OnMessage<Req> = (message: Req, session: Session, log: Logger) => void;

/** A client stream that needs the connection's session and lasts at most as long as its gateway. */
function feed<Req>(deps: GrpcDeps, core: Core, method: string, onMessage: OnMessage<Req>): handleClientStreamingCall<Req, object> {
  return (call: ServerReadableStream<Req, object>, callback: sendUnaryData<object>) => {
    const ctx = contextOf(deps, call, `Master.${method}`);
    let release: () => void = () => undefined;
    let log: Logger = ctx.log;
    let open = true;
    let received = 0;
    const close = (answer?: () => void) => {
      if (!open) return;
      open = false;
      release();
      log.debug({ received }, 'device gateway channel closed');
      answer?.();
    };
    const fail = (err: unknown) => close(() => callback(toStatus(err, ctx.log)));
    let session: Session;
    try {
      const opened = core.devices.openFeed(ctx.peer, (reason) => (reason ? fail(reason) : close(() => callback(null, {}))));
      session = opened.session;
      release = opened.release;
    } catch (err) {
      return fail(err);
    }
    log = ctx.log.child({ gateway: session.gatewayId, tenant: session.tenantId });
    log.debug('device gateway channel opened');
    call.on('data', (message: Req) => {
      if (!open) return;
      received += 1;
      try {
        onMessage(message, session, log);
      } catch (err) {
        fail(err);
      }
    });
    call.once('end', () => close(() => callback(null, {})));
    call.once('cancelled', () => close());
    call.once('error', () => close());
  };
}

export function createDeviceFeeds(deps: GrpcDeps, core: Core) {
  const initLogChan = feed<RealtimeEvent>(deps, core, 'InitLogChan', ({ event }, _session, log) => {
    core.devices.recordEvent();
    // The user ID and card data stay out of the log.
    if (log.isLevelEnabled('debug')) log.debug({ device: event?.deviceID, eventID: event?.ID, eventCode: event?.eventCode, subCode: event?.subCode }, 'realtime event');
  });
  const initDeviceStatusChan = feed<DeviceStatus>(deps, core, 'InitDeviceStatusChan', ({ status }, session, log) => {
    core.devices.deviceStatus(session, status?.deviceID, status !== undefined && REACHABLE.has(status.status));
    if (log.isLevelEnabled('debug')) log.debug({ device: status?.deviceID, status: status?.status }, 'device status');
  });
  return { initLogChan, initDeviceStatusChan };
}

/** gsdk.master.Master: device gateways dial in with their own certificate (no token). */
import { handleBidiStreamingCall } from '@grpc/grpc-js';
import { MasterServer, CommandRequest, CommandRequest_RequestType, CommandResponse } from '../gen/gsdk/master/master';
import { Core } from '../core/create-core';
import { contextOf, failStream, GrpcDeps, publicUnary } from './call';
import { createDeviceFeeds } from './device-feeds';

export function createMasterService(deps: GrpcDeps, core: Core): MasterServer {
  const { devices } = core;

  const initCommandChan: handleBidiStreamingCall<CommandResponse, CommandRequest> = (call) => {
    const ctx = contextOf(deps, call, 'Master.InitCommandChan');
    try {
      // Ended for the gateway with the reason's status: cut off (blacklisted, CA removed: UNAUTHENTICATED;
      // deleted: PERMISSION_DENIED), shutdown (UNAVAILABLE: retry elsewhere).
      const { session, release } = devices.openChannel(ctx.peer, (reason) => (reason ? failStream(call, reason, ctx.log) : call.end()));
      const log = ctx.log.child({ gateway: session.gatewayId, tenant: session.tenantId });
      log.info('device gateway connected');
      let open = true;
      const done = () => {
        if (!open) return;
        open = false;
        release();
        log.info('device gateway disconnected');
      };
      call.once('end', () => {
        done();
        call.end();
      });
      call.once('cancelled', done);
      call.once('close', done);
      call.once('error', done);
      // Responses to commands will be routed when the device-facing services come; for now they are read and dropped.
      call.on('data', () => undefined);
      call.write({ requestType: CommandRequest_RequestType.INIT_CHAN, requestID: 0, deviceIDs: [], request: undefined });
    } catch (err) {
      failStream(call, err, ctx.log);
    }
  };

  return {
    subscribe: publicUnary(deps, 'Master.Subscribe', (req, ctx) => {
      const session = devices.subscribe(ctx.peer, req.gatewayCert);
      ctx.info({ gateway: session.gatewayId, tenant: session.tenantId }, 'device gateway subscribed');
      return { sessionID: session.id };
    }),
    updateDeviceList: publicUnary(deps, 'Master.UpdateDeviceList', (req, ctx) => {
      devices.updateDeviceList(ctx.peer, req.sessionID, req.deviceIDs);
      return {};
    }),
    initCommandChan,
    ...createDeviceFeeds(deps, core),
  };
}

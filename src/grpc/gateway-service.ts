/** gsdk.gateway.Gateway: scoped to the caller's tenant; the administrator's own token sees every gateway. */
import { Metadata } from '@grpc/grpc-js';
import { GatewayScope, gatewayScope } from '../core/access';
import { Core } from '../core/create-core';
import { StatusChangeEvent } from '../core/status-hub';
import { checkIdList, checkSerials, checkSubject, checkYears } from '../core/validate';
import { GatewayServer, GetListResponse, Status, StatusChange } from '../gen/gsdk/gateway/gateway';
import { StoreUnavailable } from '../errors';
import { checkId } from '../pki/ids';
import { AuthedContext, authedServerStream, authedUnary, failStream, GrpcDeps } from './call';
import { certificateInfo } from './certificate-info';
import { reusable } from './shared-writer';

export function createGatewayService(deps: GrpcDeps, core: Core): GatewayServer {
  const { gateways, hub } = core;
  // Changes go through the audited operations, with the caller's certificate as the actor.
  const as = (ctx: AuthedContext) => core.adminAs(ctx.peer);
  // The directory hands out the same frozen list until the registrations change, so one answer
  // (encoded once) serves every GetList of an unchanged set: devices poll it.
  const listAnswers = new WeakMap<readonly string[], GetListResponse>();
  const listAnswer = (ids: readonly string[]) => {
    let answer = listAnswers.get(ids);
    if (!answer) listAnswers.set(ids, (answer = reusable({ gatewayIDs: ids as string[] })));
    return answer;
  };
  const scoped = <Req, Res>(method: string, fn: (req: Req, scope: GatewayScope, ctx: AuthedContext) => Res | Promise<Res>) =>
    authedUnary<Req, Res>(deps, `Gateway.${method}`, (req, ctx) => fn(req, gatewayScope(ctx.caller), ctx));
  const ownerOf = (scope: GatewayScope, id: unknown) => gateways.owner(scope, checkId(id, 'gatewayID'));
  const historyOf = async (scope: GatewayScope, ids: unknown, onlyBlacklisted: boolean) => {
    const found = await gateways.certificates(scope, checkIdList(ids, 'gatewayIDs', { allowEmpty: true }), onlyBlacklisted);
    return { certInfos: found.flatMap(({ gatewayId, records }) => records.map((r) => ({ gatewayID: gatewayId, ...certificateInfo(r) }))) };
  };

  return {
    getList: scoped('GetList', (_req, scope) => listAnswer(gateways.list(scope))),
    get: scoped('Get', (req, scope) => ({
      gatewayInfos: gateways
        .get(scope, checkIdList(req.gatewayIDs, 'gatewayIDs'))
        .map((g) => ({ gatewayID: g.gatewayId, deviceIDs: g.deviceIds, isConnected: g.isConnected })),
    })),
    add: scoped('Add', async (req, scope, ctx) => {
      const ids = checkIdList(req.gatewayIDs, 'gatewayIDs');
      await as(ctx).gateways.add(scope, ids);
      ctx.info({ tenant: scope.tenantId, gateways: ids }, 'gateways added');
      return {};
    }),
    delete: scoped('Delete', async (req, scope, ctx) => {
      const ids = checkIdList(req.gatewayIDs, 'gatewayIDs');
      await as(ctx).gateways.delete(scope, ids);
      ctx.info({ tenant: scope.tenantId, gateways: ids }, 'gateways deleted');
      return {};
    }),
    createCertificate: scoped('CreateCertificate', async (req, scope, ctx) => {
      const owner = ownerOf(scope, req.gatewayID);
      const subject = checkSubject(req.subject);
      const years = checkYears(req.expireAfterYears);
      const issued = await as(ctx).certificates.issue(owner, subject, years);
      ctx.info({ gateway: owner.gatewayId, issuedSerial: issued.serial.toString() }, 'gateway certificate issued');
      return { gatewayCert: issued.certPem, gatewayKey: issued.keyPem };
    }),
    getIssuanceHistory: scoped('GetIssuanceHistory', (req, scope) => historyOf(scope, req.gatewayIDs, false)),
    getCertificateBlacklist: scoped('GetCertificateBlacklist', (req, scope) => historyOf(scope, req.gatewayIDs, true)),
    addCertificateBlacklist: scoped('AddCertificateBlacklist', async (req, scope, ctx) => {
      const owner = ownerOf(scope, req.gatewayID);
      const serials = checkSerials(req.serialNOs, 'serialNOs');
      await as(ctx).certificates.blacklist(owner, serials);
      ctx.info({ gateway: owner.gatewayId, serials: serials.map(String) }, 'certificates blacklisted');
      return {};
    }),
    deleteCertificateBlacklist: scoped('DeleteCertificateBlacklist', async (req, scope, ctx) => {
      const owner = ownerOf(scope, req.gatewayID);
      const serials = checkSerials(req.serialNOs, 'serialNOs');
      await as(ctx).certificates.unblacklist(owner, serials);
      ctx.info({ gateway: owner.gatewayId, serials: serials.map(String) }, 'certificates removed from the blacklist');
      return {};
    }),
    subscribeStatus: authedServerStream(deps, 'Gateway.SubscribeStatus', (call, ctx) => {
      const scope = gatewayScope(ctx.caller);
      const queueSize = call.request.queueSize;
      const accept = (e: StatusChangeEvent) => scope.all || e.tenantId === scope.tenantId;
      const unsubscribe = hub.subscribe(accept, queueSize > 0 ? queueSize : 0, {
        write: (e) =>
          call.write({ gatewayID: e.gatewayId, status: e.connected ? Status.CONNECTED : Status.DISCONNECTED, timestamp: e.timestamp } satisfies StatusChange),
        onDrain: (cb) => call.once('drain', cb),
        end: (err) => (err ? failStream(call, err, ctx.log) : call.end()),
      }, ctx.caller.tenantId);
      // Headers now, so clients know the subscription is in place before the first change.
      call.sendMetadata(new Metadata());
      call.on('cancelled', unsubscribe);
      call.on('close', unsubscribe);
      call.on('error', unsubscribe);
      if (call.cancelled || call.destroyed) return unsubscribe();
      // Ends the stream on shutdown and when the caller's token stops being good.
      let stopped = false;
      let checking = false;
      const stop = (err: unknown) => {
        if (stopped) return;
        stopped = true;
        unsubscribe();
        clearInterval(recheck);
        failStream(call, err, ctx.log);
      };
      // A store that cannot answer right now ends nothing: the token was good, and the next tick asks
      // again (a database blip must not drop every status stream). Any other refusal ends the stream.
      const refused = (err: unknown) => {
        checking = false;
        if (err instanceof StoreUnavailable) ctx.log.debug({ err }, 'token recheck deferred: the store did not answer');
        else stop(err);
      };
      const recheck = setInterval(() => {
        if (checking) return; // one store lookup at a time, however slow the database
        try {
          const checked = deps.auth.authenticate(ctx.peer, ctx.token);
          if (checked instanceof Promise) {
            checking = true;
            checked.then(() => (checking = false), refused);
          }
        } catch (err) {
          refused(err);
        }
      }, 1000);
      recheck.unref();
      call.on('close', () => clearInterval(recheck));
    }),
  };
}

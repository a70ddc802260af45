/** gsdk.tenant.Tenant: the administrator's own token only. */
import { requireAdministrator } from '../core/access';
import { Core } from '../core/create-core';
import { checkIdList, checkSerials, checkSubject, checkYears } from '../core/validate';
import { TenantServer } from '../gen/gsdk/tenant/tenant';
import { checkId } from '../pki/ids';
import { AuthedContext, authedUnary, GrpcDeps } from './call';
import { certificateInfo } from './certificate-info';

export function createTenantService(deps: GrpcDeps, core: Core): TenantServer {
  const { tenants } = core;
  // Changes go through the audited operations, with the caller's certificate as the actor.
  const as = (ctx: AuthedContext) => core.adminAs(ctx.peer);
  const admin = <Req, Res>(method: string, fn: (req: Req, ctx: AuthedContext) => Res | Promise<Res>) =>
    authedUnary<Req, Res>(deps, `Tenant.${method}`, (req, ctx) => {
      requireAdministrator(ctx.caller);
      return fn(req, ctx);
    });
  const historyOf = async (ids: unknown, onlyBlacklisted: boolean) => {
    const found = await tenants.certificates(checkIdList(ids, 'tenantIDs', { allowEmpty: true }), onlyBlacklisted);
    return { certInfos: found.flatMap(({ tenantId, records }) => records.map((r) => ({ tenantID: tenantId, ...certificateInfo(r) }))) };
  };

  return {
    getList: admin('GetList', async () => ({ tenantIDs: await tenants.list() })),
    get: admin('Get', async (req) => ({
      tenantInfos: (await tenants.get(checkIdList(req.tenantIDs, 'tenantIDs'))).map((t) => ({ tenantID: t.tenantId, gatewayIDs: t.gatewayIds })),
    })),
    add: admin('Add', async (req, ctx) => {
      if (!Array.isArray(req.tenantInfos) || req.tenantInfos.length === 0) checkIdList([], 'tenantInfos');
      const ids = checkIdList(req.tenantInfos.map((t) => t.tenantID), 'tenantInfos.tenantID');
      const infos = req.tenantInfos.map((t, i) => ({ tenantId: ids[i], gatewayIds: checkIdList(t.gatewayIDs, `tenantInfos[${i}].gatewayIDs`, { allowEmpty: true }) }));
      await as(ctx).tenants.add(infos);
      ctx.info({ tenants: ids }, 'tenants added');
      return {};
    }),
    delete: admin('Delete', async (req, ctx) => {
      const ids = checkIdList(req.tenantIDs, 'tenantIDs');
      await as(ctx).tenants.delete(ids);
      ctx.info({ tenants: ids }, 'tenants deleted');
      return {};
    }),
    addGateway: admin('AddGateway', async (req, ctx) => {
      await as(ctx).tenants.addGateways(checkId(req.tenantID, 'tenantID'), checkIdList(req.gatewayIDs, 'gatewayIDs'));
      return {};
    }),
    deleteGateway: admin('DeleteGateway', async (req, ctx) => {
      const tenantId = checkId(req.tenantID, 'tenantID');
      await as(ctx).tenants.deleteGateways(checkIdList(req.gatewayIDs, 'gatewayIDs').map((gatewayId) => ({ gatewayId, tenantId })));
      return {};
    }),
    createCertificate: admin('CreateCertificate', async (req, ctx) => {
      const tenantId = checkId(req.tenantID, 'tenantID');
      const subject = checkSubject(req.subject);
      const years = checkYears(req.expireAfterYears);
      const issued = await as(ctx).tenants.issueCertificate(tenantId, subject, years);
      ctx.info({ tenant: tenantId, issuedSerial: issued.serial.toString() }, 'tenant certificate issued');
      return { tenantCert: issued.certPem, tenantKey: issued.keyPem };
    }),
    getIssuanceHistory: admin('GetIssuanceHistory', (req) => historyOf(req.tenantIDs, false)),
    getCertificateBlacklist: admin('GetCertificateBlacklist', (req) => historyOf(req.tenantIDs, true)),
    addCertificateBlacklist: admin('AddCertificateBlacklist', async (req, ctx) => {
      const tenantId = checkId(req.tenantID, 'tenantID');
      const serials = checkSerials(req.serialNOs, 'serialNOs');
      await as(ctx).certificates.blacklist({ kind: 'tenant', tenantId }, serials);
      ctx.info({ tenant: tenantId, serials: serials.map(String) }, 'certificates blacklisted');
      return {};
    }),
    deleteCertificateBlacklist: admin('DeleteCertificateBlacklist', async (req, ctx) => {
      const tenantId = checkId(req.tenantID, 'tenantID');
      const serials = checkSerials(req.serialNOs, 'serialNOs');
      await as(ctx).certificates.unblacklist({ kind: 'tenant', tenantId }, serials);
      ctx.info({ tenant: tenantId, serials: serials.map(String) }, 'certificates removed from the blacklist');
      return {};
    }),
  };
}

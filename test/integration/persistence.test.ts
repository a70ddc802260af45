/** What the gateway keeps survives a restart on the same certificate and data directories. */
import { status } from '@grpc/grpc-js';
import { closeAllClients, codeOf } from '../support/clients';
import { openSession } from '../support/admin-session';
import { makeTestPki } from '../support/pki';
import { startTestGateway } from '../support/gateway';

it('tenants, gateways, history, blacklist, revocations and the signing key persist across a restart', async () => {
  const pki = makeTestPki();
  try {
    const first = await startTestGateway({ pki });
    const admin = await openSession(first, pki.admin);
    await admin.call('tenant', 'add', { tenantInfos: [{ tenantID: 'acme', gatewayIDs: ['acme-1'] }] });
    const issued = await admin.call<{ tenantCert: string }>('tenant', 'createCertificate', { tenantID: 'acme', expireAfterYears: 1 });
    const bad = pki.tenant('acme');
    const { certInfos } = await admin.call<{ certInfos: { serialNO: bigint }[] }>('tenant', 'getIssuanceHistory', { tenantIDs: ['acme'] });
    await admin.call('tenant', 'addCertificateBlacklist', { tenantID: 'acme', serialNOs: [certInfos[0].serialNO] });
    const keeper = await openSession(first, pki.tenant('acme'));
    const loggedOut = await openSession(first, pki.tenant('acme'));
    await loggedOut.call('login', 'logout');
    closeAllClients();
    await first.close();

    const second = await startTestGateway({ pki });
    try {
      const again = await openSession(second, pki.admin);
      expect(await again.call('tenant', 'get', { tenantIDs: ['acme'] })).toEqual({ tenantInfos: [{ tenantID: 'acme', gatewayIDs: ['acme-1'] }] });
      expect(await again.call('tenant', 'getCertificateBlacklist', { tenantIDs: ['acme'] })).toMatchObject({ certInfos: [{ serialNO: certInfos[0].serialNO, blacklisted: true }] });
      expect(issued.tenantCert).toContain('BEGIN CERTIFICATE');
      // A token from before the restart still verifies (same signing key) on a connection with its certificate…
      const reconnected = await openSession(second, keeper.pair);
      reconnected.token = keeper.token;
      expect(await reconnected.call('gateway', 'getList')).toEqual({ gatewayIDs: ['acme-1'] });
      // …and a logged-out one stays logged out.
      const revoked = await openSession(second, loggedOut.pair);
      revoked.token = loggedOut.token;
      expect((await codeOf(revoked.call('gateway', 'getList'))).code).toBe(status.UNAUTHENTICATED);
      expect((await openSession(second, bad)).token).toBeTruthy();
    } finally {
      closeAllClients();
      await second.close();
    }
  } finally {
    pki.cleanup();
  }
});

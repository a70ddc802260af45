/**
 * grpcurl-style `describe` of every G-SDK service through server reflection: the files must carry
 * their real names and imports, so that a strict descriptor pool can be built from them alone, and
 * a method can be called with nothing but those descriptors.
 */
import * as grpc from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { create, DescMessage, DescService, fromBinary, toBinary } from '@bufbuild/protobuf';
import { closeAllClients, credentialsFor, metadataWith } from '../support/clients';
import { startTestGateway, TestGateway } from '../support/gateway';
import { ClientPair } from '../support/pki';
import { reflectionDescribe } from '../support/reflection';

const PROTO_DIR = join(__dirname, '..', '..', 'proto');
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme', gatewayIds: ['acme-gw'] }] });
});
afterAll(async () => {
  closeAllClients();
  await gw.close();
});

const SERVICES = {
  'gsdk.login.Login': 'gsdk/login/login.proto',
  'gsdk.tenant.Tenant': 'gsdk/tenant/tenant.proto',
  'gsdk.gateway.Gateway': 'gsdk/gateway/gateway.proto',
  'gsdk.master.Master': 'gsdk/master/master.proto',
};

/** A unary call made from descriptors alone, as a reflection-driven client (grpcurl, Postman) makes it. */
function callWith(service: DescService, method: string, pair: ClientPair, request: Record<string, unknown>, token?: string): Promise<Record<string, unknown>> {
  const m = service.method[method[0].toLowerCase() + method.slice(1)];
  const client = new grpc.Client(gw.address, credentialsFor(gw.pki.caPem, pair));
  const input: DescMessage = m.input;
  const output: DescMessage = m.output;
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    client.makeUnaryRequest(
      `/${service.typeName}/${m.name}`,
      (req: Record<string, unknown>) => Buffer.from(toBinary(input, create(input, req))),
      (buf: Buffer) => fromBinary(output, buf) as unknown as Record<string, unknown>,
      request,
      metadataWith(token),
      (err, res) => (err ? reject(err) : resolve(res!)),
    );
  }).finally(() => client.close());
}

it.each(Object.entries(SERVICES))('describes %s from its real file %s, with its imports, in a strict pool', async (symbol, fileName) => {
  const { files, registry } = await reflectionDescribe(gw.address, gw.pki.caPem, gw.pki.tenant('acme'), symbol);
  const service = registry.getService(symbol);
  expect(service?.file.name).toBe(fileName.replace(/\.proto$/, ''));
  expect([...files.keys()]).toContain(fileName);
  // Named as in proto/ (or as the well-known types are), never after their package.
  for (const name of files.keys()) expect(name.startsWith('google/protobuf/') || existsSync(join(PROTO_DIR, name))).toBe(true);
  expect(service!.methods.length).toBeGreaterThan(0);
});

it('shows the imports G-SDK declares: PKIName from gsdk/cert/cert.proto, Any from google/protobuf/any.proto', async () => {
  const tenant = await reflectionDescribe(gw.address, gw.pki.caPem, gw.pki.tenant('acme'), 'gsdk.tenant.Tenant');
  expect(tenant.files.get('gsdk/tenant/tenant.proto')!.dependency).toEqual(['gsdk/cert/cert.proto']);
  expect(tenant.registry.getMessage('gsdk.cert.PKIName')?.file.name).toBe('gsdk/cert/cert');
  const master = await reflectionDescribe(gw.address, gw.pki.caPem, gw.pki.tenant('acme'), 'gsdk.master.Master');
  expect(master.files.get('gsdk/master/master.proto')!.dependency).toContain('google/protobuf/any.proto');
  expect(master.registry.getEnum('gsdk.master.CommandRequest.RequestType')?.values.map((v) => v.name)).toEqual(['CMD_WRAPPER', 'INIT_CHAN']);
});

it('logs in and calls the Tenant API with nothing but the reflected descriptors', async () => {
  const admin = gw.pki.admin;
  const login = (await reflectionDescribe(gw.address, gw.pki.caPem, admin, 'gsdk.login.Login')).registry.getService('gsdk.login.Login')!;
  const { jwtToken } = await callWith(login, 'LoginAdmin', admin, { adminTenantCert: admin.certPem, tenantID: 'administrator' });
  expect(typeof jwtToken).toBe('string');

  const tenant = (await reflectionDescribe(gw.address, gw.pki.caPem, admin, 'gsdk.tenant.Tenant')).registry.getService('gsdk.tenant.Tenant')!;
  const got = await callWith(tenant, 'Get', admin, { tenantIDs: ['acme'] }, jwtToken as string);
  expect(got.tenantInfos).toEqual([expect.objectContaining({ tenantID: 'acme', gatewayIDs: ['acme-gw'] })]);
  const history = await callWith(tenant, 'GetIssuanceHistory', admin, { tenantIDs: ['administrator'] }, jwtToken as string);
  expect(Array.isArray(history.certInfos)).toBe(true);
});

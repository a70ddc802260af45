import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import * as gatewayMessages from '../../../src/gen/gsdk/gateway/gateway';
import * as loginMessages from '../../../src/gen/gsdk/login/login';
import * as masterMessages from '../../../src/gen/gsdk/master/master';
import * as tenantMessages from '../../../src/gen/gsdk/tenant/tenant';
import { reusable, withSharedWriter } from '../../../src/grpc/shared-writer';

const PROTO_DIR = join(__dirname, '..', '..', '..', 'proto');

describe('withSharedWriter', () => {
  it('relies on a convention every G-SDK unary rpc keeps: rpc X answers XResponse', () => {
    const files = ['gsdk/login/login.proto', 'gsdk/tenant/tenant.proto', 'gsdk/gateway/gateway.proto', 'gsdk/master/master.proto'];
    const definitions = protoLoader.loadSync(files, { includeDirs: [PROTO_DIR] });
    const unary = Object.values(definitions).flatMap((d) =>
      'format' in d ? [] : Object.values(d as protoLoader.ServiceDefinition).filter((m) => !m.requestStream && !m.responseStream),
    );
    expect(unary.length).toBeGreaterThan(20);
    for (const method of unary) {
      const rpc = method.path.slice(method.path.lastIndexOf('/') + 1);
      expect(`${method.path} → ${(method.responseType as { type: { name: string } }).type.name}`).toBe(`${method.path} → ${rpc}Response`);
    }
  });

  it('encodes exactly what the generated serializer does, one call after another', () => {
    const login = withSharedWriter(loginMessages.LoginService, loginMessages);
    const gateway = withSharedWriter(gatewayMessages.GatewayService, gatewayMessages);
    const samples: [(v: never) => Buffer, (v: never) => Buffer, unknown][] = [
      [login.login.responseSerialize, loginMessages.LoginService.login.responseSerialize, { jwtToken: 'a'.repeat(600) }],
      [login.login.responseSerialize, loginMessages.LoginService.login.responseSerialize, { jwtToken: 'short' }],
      [gateway.getList.responseSerialize, gatewayMessages.GatewayService.getList.responseSerialize, { gatewayIDs: ['gw-1', 'gw-2', 'gw-3'] }],
      [
        gateway.getIssuanceHistory.responseSerialize,
        gatewayMessages.GatewayService.getIssuanceHistory.responseSerialize,
        { certInfos: [{ gatewayID: 'gw-1', subject: undefined, serialNO: 1n << 62n, issueDate: 1n, expiryDate: 2n, blacklisted: true }] },
      ],
      [login.login.responseSerialize, loginMessages.LoginService.login.responseSerialize, { jwtToken: '' }],
    ];
    for (const [shared, generated, value] of samples) {
      expect(Buffer.compare(shared(value as never), generated(value as never))).toBe(0);
    }
  });

  it('keeps each answer intact after the writer is reused', () => {
    const login = withSharedWriter(loginMessages.LoginService, loginMessages);
    const first = login.login.responseSerialize({ jwtToken: 'first token' });
    login.login.responseSerialize({ jwtToken: 'x'.repeat(100_000) });
    login.login.responseSerialize({ jwtToken: 'third' });
    expect(loginMessages.LoginResponse.decode(first).jwtToken).toBe('first token');
  });

  it('starts clean after an encoding error', () => {
    const gateway = withSharedWriter(gatewayMessages.GatewayService, gatewayMessages);
    const bad = { certInfos: [{ gatewayID: 'gw-1', serialNO: 'not a number' }] };
    expect(() => gateway.getIssuanceHistory.responseSerialize(bad as never)).toThrow();
    const next = gateway.getList.responseSerialize({ gatewayIDs: ['gw-9'] });
    expect(gatewayMessages.GetListResponse.decode(next).gatewayIDs).toEqual(['gw-9']);
  });

  it('encodes a reusable answer once and hands out the same bytes after that; other answers are encoded each time', () => {
    const gateway = withSharedWriter(gatewayMessages.GatewayService, gatewayMessages);
    const encode = gateway.getList.responseSerialize;
    const answer = reusable({ gatewayIDs: ['gw-1', 'gw-2'] });
    const first = encode(answer);
    encode({ gatewayIDs: ['other'] }); // the shared writer moves on in between
    expect(encode(answer)).toBe(first);
    expect(gatewayMessages.GetListResponse.decode(first).gatewayIDs).toEqual(['gw-1', 'gw-2']);
    expect(Buffer.compare(first, gatewayMessages.GatewayService.getList.responseSerialize(answer))).toBe(0);
    const plain = { gatewayIDs: ['gw-1', 'gw-2'] };
    expect(encode(plain)).not.toBe(encode(plain));
  });

  it('freezes a reusable answer, so its kept bytes cannot go stale', () => {
    const answer = reusable({ gatewayIDs: ['gw-1'] });
    expect(Object.isFrozen(answer)).toBe(true);
    expect(() => {
      (answer as { gatewayIDs: string[] }).gatewayIDs = ['gw-2'];
    }).toThrow(TypeError);
    expect(reusable(answer)).toBe(answer);
  });

  it('leaves streaming methods and methods without an XResponse type as generated', () => {
    const master = withSharedWriter(masterMessages.MasterService, masterMessages);
    expect(master.initCommandChan.responseSerialize).toBe(masterMessages.MasterService.initCommandChan.responseSerialize);
    const tenant = withSharedWriter(tenantMessages.TenantService, {});
    expect(tenant.getList.responseSerialize).toBe(tenantMessages.TenantService.getList.responseSerialize);
  });
});

/** Logged-in clients of every G-SDK service for one certificate, for the admin API tests. */
import * as grpc from '@grpc/grpc-js';
import { GatewayService } from '../../src/gen/gsdk/gateway/gateway';
import { LoginService } from '../../src/gen/gsdk/login/login';
import { MasterService } from '../../src/gen/gsdk/master/master';
import { TenantService } from '../../src/gen/gsdk/tenant/tenant';
import { AnyClient, makeClient, metadataWith, unary } from './clients';
import { TestGateway } from './gateway';
import { ClientPair } from './pki';

export interface ApiSession {
  pair: ClientPair;
  token: string;
  login: AnyClient;
  tenant: AnyClient;
  gateway: AnyClient;
  master: AnyClient;
  /** Calls `service.method` with this session's token. */
  call<Res = unknown>(service: 'login' | 'tenant' | 'gateway' | 'master', method: string, request?: unknown): Promise<Res>;
}

export async function openSession(gw: TestGateway, pair: ClientPair, actAs?: string): Promise<ApiSession> {
  const make = <T extends grpc.ServiceDefinition>(d: T) => makeClient(d, gw.address, gw.pki.caPem, pair);
  const clients = { login: make(LoginService), tenant: make(TenantService), gateway: make(GatewayService), master: make(MasterService) };
  const res = actAs
    ? await unary<{ jwtToken: string }>(clients.login, 'loginAdmin', { adminTenantCert: pair.certPem, tenantID: actAs })
    : await unary<{ jwtToken: string }>(clients.login, 'login', { tenantCert: pair.certPem });
  const session: ApiSession = {
    pair,
    token: res.jwtToken,
    ...clients,
    call: (service, method, request = {}) => unary(clients[service], method, request, metadataWith(session.token)),
  };
  return session;
}

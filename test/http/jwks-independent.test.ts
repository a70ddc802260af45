/** Tokens of the bridge verified offline, as a resource server would: jose (an independent JWT library) and the published JWKS. */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { agentFor, http } from '../support/http';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ tenants: [{ tenantId: 'acme' }] });
  await gw.gateway.core.identity.users.add({ username: 'dana', tenantId: 'acme', password: 'dana password 1' });
});
afterAll(() => gw.close());

it('a datarhei access token verifies against /.well-known/jwks.json with jose, ES256 only, and names its tenant', async () => {
  const { access_token: token } = (await http(gw.http, 'POST', '/api/login', { body: { username: 'dana', password: 'dana password 1' } })).json;
  const jwks = createRemoteJWKSet(new URL(`${gw.http}/.well-known/jwks.json`), { agent: agentFor(gw.http) });
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { algorithms: ['ES256'], issuer: 'master-gateway', currentDate: new Date(gw.clock.now) });
  expect(protectedHeader.alg).toBe('ES256');
  expect(payload).toMatchObject({ sub: 'dana', tenant: 'acme' });
  const tampered = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
  await expect(jwtVerify(tampered, jwks, { algorithms: ['ES256'] })).rejects.toThrow();
});

it('a gRPC-side token is signed by a key of the same JWKS', async () => {
  const { tokens } = gw.gateway.core;
  const token = tokens.issue({ subject: 'acme', tenantId: 'acme', role: 'tenant', thumbprint: 'x' });
  const jwks = createRemoteJWKSet(new URL(`${gw.http}/.well-known/jwks.json`), { agent: agentFor(gw.http) });
  const { payload } = await jwtVerify(token, jwks, { algorithms: ['ES256'], currentDate: new Date(gw.clock.now) });
  expect(payload.tenant).toBe('acme');
});

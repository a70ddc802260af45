/** Whether a certificate-bound token is in force, as introspection tells it, over a real embedded store. */
import { createHash } from 'node:crypto';
import { createDirectory, Directory } from '../../../../src/core/directory';
import { VerifiedClaims } from '../../../../src/core/identity/access-tokens';
import { createTokenStanding, TokenStanding, TokenStandingDeps } from '../../../../src/core/identity/token-standing';
import { openSqliteStore } from '../../../../src/store/sqlite/sqlite-store';
import { Store } from '../../../../src/store/store';

const clock = () => 1_800_000_000_000;
const der = Buffer.from('not really DER, but hashed the same way');
const fingerprint = createHash('sha256').update(der).digest('hex');
const thumbprint = createHash('sha256').update(der).digest('base64url');
let store: Store;
let directory: Directory;
let standing: TokenStanding;
let generation: string;

beforeEach(async () => {
  store = openSqliteStore(':memory:', { pollMs: 0 });
  await store.addTenants([{ tenantId: 'acme', gatewayIds: [] }]);
  generation = (await store.tenantGeneration('acme'))!;
  await store.recordCertificate({ serial: 77n, kind: 'tenant', tenantId: 'acme', gatewayId: null, subject: {} as never, issuedAt: 0, expiresAt: 2_000_000_000, fingerprint });
  directory = await createDirectory(store, clock);
  standing = createTokenStanding({ store, directory, revocationClients: [] } as unknown as TokenStandingDeps);
});
afterEach(() => store.close());

const claims = (extra: Record<string, unknown>) =>
  ({ sub: 'acme', tenant: 'acme', jti: 'j', iat: 0, exp: 2_000_000_000, iss: 'master-gateway', cnf: { 'x5t#S256': thumbprint }, tgen: generation, ...extra }) as VerifiedClaims;

async function blacklist77() {
  await store.addBlacklist([{ serial: 77n, tenantId: 'acme', gatewayId: null, addedAt: 0 }]);
  await directory.refresh('blacklist');
}

it('a token naming its certificate serial: in force until that serial is blacklisted', async () => {
  expect(await standing.boundTokenInForce(claims({ cert_serial: '77' }))).toBe(true);
  await blacklist77();
  expect(await standing.boundTokenInForce(claims({ cert_serial: '77' }))).toBe(false);
});

it('a token from before serials were named: its certificate is found by thumbprint among the owner’s', async () => {
  expect(await standing.boundTokenInForce(claims({}))).toBe(true);
  await blacklist77();
  expect(await standing.boundTokenInForce(claims({}))).toBe(false);
});

it('a token of another tenant generation, or of a tenant gone, is not in force', async () => {
  expect(await standing.boundTokenInForce(claims({ cert_serial: '77', tgen: 'older' }))).toBe(false);
  expect(await standing.boundTokenInForce(claims({ cert_serial: '77', tgen: undefined }))).toBe(false);
  await store.deleteTenants(['acme']);
  await directory.refresh('tenants');
  expect(await standing.boundTokenInForce(claims({ cert_serial: '77' }))).toBe(false);
});

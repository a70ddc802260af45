/** Helpers of the store contract suite: sample records, a full snapshot, waiting for a change event. */
import { CertificateRecord, SigningKeyRecord, Store, StoreTopic } from '../../src/store/store';
import { EMPTY_NAME } from '../../src/pki/profile';

export const MAX_SERIAL = 2n ** 63n - 1n;

let counter = 0;

export function certRecord(overrides: Partial<Omit<CertificateRecord, 'blacklisted'>> = {}): Omit<CertificateRecord, 'blacklisted'> {
  counter += 1;
  return {
    serial: BigInt(1000 + counter),
    kind: 'tenant',
    tenantId: 'acme',
    gatewayId: null,
    subject: { ...EMPTY_NAME, organization: 'Acme', commonName: `cert-${counter}` },
    issuedAt: 1_700_000_000 + counter,
    expiresAt: 1_900_000_000 + counter,
    fingerprint: counter.toString(16).padStart(64, '0'),
    ...overrides,
  };
}

export function keyRecord(kid: string, createdAt: number): SigningKeyRecord {
  return {
    kid,
    alg: 'ES256',
    privateKeyPem: `placeholder private key of ${kid}`,
    publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${kid}-public\n-----END PUBLIC KEY-----\n`,
    createdAt,
  };
}

/** Everything the interface can list, in a comparable form. */
export async function snapshot(store: Store) {
  const tenantIds = await store.listTenants();
  const tenants = (await store.getTenants(tenantIds)).map((t) => ({ tenantId: t.tenantId, gatewayIds: [...t.gatewayIds].sort() }));
  return {
    tenantIds: [...tenantIds].sort(),
    tenants: tenants.sort((a, b) => a.tenantId.localeCompare(b.tenantId)),
    gateways: (await store.listGateways()).sort((a, b) => a.gatewayId.localeCompare(b.gatewayId)),
    certificates: (await store.listCertificates()).sort((a, b) => (a.serial < b.serial ? -1 : 1)),
    blacklist: (await store.listBlacklist()).sort((a, b) => (a.serial < b.serial ? -1 : 1)),
    // now = 0 keeps every entry: nothing has expired before the epoch.
    revoked: (await store.listRevokedTokens(0)).sort((a, b) => a.jti.localeCompare(b.jti)),
    keys: await store.listSigningKeys(),
  };
}

/** Resolves with the first `topic` event, or rejects after `ms`; events may arrive after the write resolves. */
export function nextTopic(store: Store, topic: StoreTopic, ms = 5000): Promise<StoreTopic> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no "${topic}" change event within ${ms} ms`));
    }, ms);
    const off = store.onChange((seen) => {
      if (seen !== topic) return;
      clearTimeout(timer);
      off();
      resolve(seen);
    });
  });
}

export const sortedIds = (records: { gatewayId: string }[]) => records.map((r) => r.gatewayId).sort();

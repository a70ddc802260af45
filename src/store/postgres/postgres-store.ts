/**
 * The PostgreSQL store, for several gateway instances on one database. Every write that touches
 * more than one row is one transaction; its change topics are NOTIFYed inside that transaction, so
 * other instances hear of it when, and only if, it commits. Local listeners hear at once.
 */
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { AlreadyExists, FailedPrecondition, GatewayNotFound, SigningKeyNotFound, StoreUnavailable, TenantNotFound } from '../../errors';
import { quotaExceeded } from '../gateway-quota';
import { filterClause, FilterSyntax } from '../filter-clause';
import { BlacklistRow, CertRow, GatewayRow, RevokedTokenRow, SigningKeyRow, toBlacklistEntry, toCertificate, toGateway, toRevokedToken, toSigningKey } from '../rows';
import {
  BlacklistEntry,
  CertificateFilter,
  CertificateRecord,
  GatewayRecord,
  RevokedToken,
  SigningKeyRecord,
  Store,
  StoreTopic,
  newTenantGeneration,
  TenantRecord,
  STORE_TOPICS,
} from '../store';
import { ChangeListener, listenForChanges } from './change-listener';
import { createDatabase, Database, PostgresStoreOptions, Query } from './database';
import { identityTables, IdentityTables, onViolation } from './identity-tables';
import { migrate } from './migrations';
import { presenceTables, PresenceTables } from './presence-tables';
import { challengeTables, ChallengeTables } from './challenge-tables';
import { PostgresContext } from './postgres-context';
import { toStoreError } from './store-error';

export type { PostgresStoreOptions } from './database';


/** Connects, applies the missing migrations and starts listening; throws StoreUnavailable when it cannot. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const db = createDatabase(url, options);
  let listener: ChangeListener | undefined;
  try {
    const schema = (await db.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0].schema;
    if (schema === null) throw new StoreUnavailable(`PostgreSQL at ${db.target}: no schema on the search_path exists`);
    await db.withClient(migrate);
    const store = new PostgresStore(db, changeChannel(schema));
    listener = await listenForChanges(db.clientConfig, store.channel, {
      onPayload: (payload) => store.heard(payload),
      onReconnect: () => store.announceAll(),
    }).catch((err: unknown) => {
      throw toStoreError(err, db.target, db.timeoutMs);
    });
    store.listener = listener;
    return store;
  } catch (err) {
    await listener?.close();
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** Channels are per database; the schema in the name keeps stores in other schemas apart. */
function changeChannel(schema: string): string {
  const name = `mgw_changes_${schema}`;
  return Buffer.byteLength(name) <= 63 ? name : `mgw_changes_${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`;
}

// The identity tables' methods are mixed in (see the constructor); this merges their types.
interface PostgresStore extends IdentityTables, PresenceTables, ChallengeTables {}

class PostgresStore implements Store {
  readonly kind = 'postgres';
  listener?: ChangeListener;
  private readonly events = new EventEmitter();
  /** Tags this instance's notifications, so it does not hear its own writes twice. */
  private readonly origin = randomUUID();

  constructor(
    private readonly db: Database,
    readonly channel: string,
  ) {
    this.events.setMaxListeners(0);
    const context: PostgresContext = { db, write: (topics, fn) => this.write(topics, fn) };
    Object.assign(this, identityTables(context));
    Object.assign(this, presenceTables(context));
    Object.assign(this, challengeTables(context));
  }

  heard(payload: string): void {
    const at = payload.indexOf(':');
    const topic = payload.slice(at + 1) as StoreTopic;
    if (payload.slice(0, at) !== this.origin && STORE_TOPICS.includes(topic)) this.events.emit('change', topic, true);
  }

  announceAll(): void {
    for (const topic of STORE_TOPICS) this.events.emit('change', topic, true);
  }

  private async write<T>(topics: readonly StoreTopic[], fn: (q: Query) => T | Promise<T>): Promise<T> {
    const payloads = topics.map((topic) => `${this.origin}:${topic}`);
    const result = await this.db.tx(async (q) => fn(q), { channel: this.channel, payloads });
    for (const topic of topics) this.events.emit('change', topic, false);
    return result;
  }

  async listTenants(): Promise<string[]> {
    const { rows } = await this.db.query<{ tenant_id: string }>('SELECT tenant_id FROM tenants ORDER BY tenant_id');
    return rows.map((r) => r.tenant_id);
  }

  async hasTenant(tenantId: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM tenants WHERE tenant_id = $1', [tenantId]);
    return rows.length > 0;
  }

  async tenantGeneration(tenantId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ generation: string }>('SELECT generation FROM tenants WHERE tenant_id = $1', [tenantId]);
    return rows[0]?.generation;
  }

  async getTenants(tenantIds: string[]): Promise<TenantRecord[]> {
    if (tenantIds.length === 0) return [];
    const { rows } = await this.db.query<{ tenant_id: string; gateway_ids: string[] }>(
      `SELECT t.tenant_id, COALESCE(array_agg(g.gateway_id ORDER BY g.gateway_id) FILTER (WHERE g.gateway_id IS NOT NULL), '{}') AS gateway_ids
       FROM tenants t LEFT JOIN gateways g ON g.tenant_id = t.tenant_id
       WHERE t.tenant_id = ANY($1::text[]) GROUP BY t.tenant_id`,
      [tenantIds],
    );
    const found = new Map(rows.map((r) => [r.tenant_id, r.gateway_ids]));
    return tenantIds.filter((id) => found.has(id)).map((tenantId) => ({ tenantId, gatewayIds: [...(found.get(tenantId) ?? [])] }));
  }

  async addTenants(tenants: TenantRecord[]): Promise<void> {
    await this.write(['tenants'], async (q) => {
      const now = unixNow();
      const ids = tenants.map((t) => t.tenantId);
      // Sorted, so concurrent batches lock rows in the same order and cannot deadlock.
      const added = await q<{ tenant_id: string }>(
        `INSERT INTO tenants (tenant_id, created_at, generation) SELECT id, $2, gen FROM unnest($1::text[], $3::text[]) AS t (id, gen)
         ORDER BY id ON CONFLICT DO NOTHING RETURNING tenant_id`,
        [ids, now, ids.map(() => newTenantGeneration())],
      );
      const taken = firstNotIn(ids, added.rows.map((r) => r.tenant_id));
      if (taken !== undefined) throw new AlreadyExists(`tenant ${taken} already exists`);
      await insertGateways(q, tenants.flatMap((t) => t.gatewayIds.map((gatewayId) => ({ gatewayId, tenantId: t.tenantId }))), now);
    });
  }

  async deleteTenants(tenantIds: string[]): Promise<void> {
    await this.write(['tenants'], async (q) => {
      const { rows } = await q<{ tenant_id: string }>('DELETE FROM tenants WHERE tenant_id = ANY($1::text[]) RETURNING tenant_id', [tenantIds]);
      const missing = firstNotIn(tenantIds, rows.map((r) => r.tenant_id));
      if (missing !== undefined) throw new TenantNotFound(`tenant ${missing} does not exist`);
    });
  }

  async listGateways(tenantId?: string): Promise<GatewayRecord[]> {
    const { rows } =
      tenantId === undefined
        ? await this.db.query<GatewayRow>('SELECT gateway_id, tenant_id FROM gateways ORDER BY gateway_id')
        : await this.db.query<GatewayRow>(
            'SELECT gateway_id, tenant_id FROM gateways WHERE tenant_id = $1 ORDER BY gateway_id',
            [tenantId],
          );
    return rows.map(toGateway);
  }

  async findGateway(gatewayId: string): Promise<GatewayRecord | undefined> {
    const { rows } = await this.db.query<GatewayRow>('SELECT gateway_id, tenant_id FROM gateways WHERE gateway_id = $1', [gatewayId]);
    return rows[0] && toGateway(rows[0]);
  }

  async addGateways(tenantId: string, gatewayIds: string[], maxPerTenant = Infinity): Promise<void> {
    const missingTenant = () => new TenantNotFound(`tenant ${tenantId} does not exist`);
    await this.write(['tenants'], async (q) => {
      // The tenant's row is locked (not against the foreign-key checks of inserts), so parallel adds
      // to one tenant count one after the other and cannot pass the bound together.
      const lock = maxPerTenant === Infinity ? '' : ' FOR NO KEY UPDATE';
      if ((await q(`SELECT 1 FROM tenants WHERE tenant_id = $1${lock}`, [tenantId])).rowCount === 0) throw missingTenant();
      if (maxPerTenant !== Infinity) {
        const n = Number((await q<{ n: string }>('SELECT count(*) AS n FROM gateways WHERE tenant_id = $1', [tenantId])).rows[0].n);
        if (n + gatewayIds.length > maxPerTenant) throw quotaExceeded(tenantId, n, gatewayIds.length, maxPerTenant);
      }
      await insertGateways(q, gatewayIds.map((gatewayId) => ({ gatewayId, tenantId })), unixNow());
    }).catch(onViolation({ gateways_tenant_id_fkey: missingTenant }));
  }

  async deleteGateways(gateways: GatewayRecord[]): Promise<void> {
    await this.write(['tenants'], async (q) => {
      const { rows } = await q<{ gateway_id: string }>(
        `DELETE FROM gateways g USING unnest($1::text[], $2::text[]) AS d(gateway_id, tenant_id)
         WHERE g.gateway_id = d.gateway_id AND g.tenant_id = d.tenant_id RETURNING g.gateway_id`,
        [gateways.map((g) => g.gatewayId), gateways.map((g) => g.tenantId)],
      );
      const missing = firstNotIn(gateways.map((g) => g.gatewayId), rows.map((r) => r.gateway_id));
      if (missing !== undefined) throw new GatewayNotFound(`gateway ${missing} does not exist`);
    });
  }

  async recordCertificate(record: Omit<CertificateRecord, 'blacklisted'>): Promise<void> {
    await this.write(['certificates'], (q) =>
      q(
        `INSERT INTO certificates (serial, kind, tenant_id, gateway_id, subject, issued_at, expires_at, fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          record.serial.toString(),
          record.kind,
          record.tenantId,
          record.gatewayId,
          JSON.stringify(record.subject),
          record.issuedAt,
          record.expiresAt,
          record.fingerprint,
        ],
      ),
    );
  }

  private async selectCertificates(where: string, params: unknown[]): Promise<CertificateRecord[]> {
    const { rows } = await this.db.query<CertRow>(
      `SELECT c.*, (b.serial IS NOT NULL) AS blacklisted FROM certificates c
       LEFT JOIN blacklist b ON b.serial = c.serial ${where} ORDER BY c.issued_at, c.serial`,
      params,
    );
    return rows.map(toCertificate);
  }

  async listCertificates(filter: CertificateFilter = {}): Promise<CertificateRecord[]> {
    const { clause, params } = filterClause('c', filter, POSTGRES_FILTER);
    return this.selectCertificates(clause, params);
  }

  async findCertificate(serial: bigint): Promise<CertificateRecord | undefined> {
    return (await this.selectCertificates('WHERE c.serial = $1', [serial.toString()]))[0];
  }

  async listBlacklist(filter: CertificateFilter = {}): Promise<BlacklistEntry[]> {
    const { clause, params } = filterClause('b', filter, POSTGRES_FILTER);
    const { rows } = await this.db.query<BlacklistRow>(
      `SELECT * FROM blacklist b ${clause} ORDER BY b.added_at, b.serial`,
      params,
    );
    return rows.map(toBlacklistEntry);
  }

  async addBlacklist(entries: BlacklistEntry[]): Promise<void> {
    const sorted = [...entries].sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
    await this.write(['blacklist'], (q) =>
      q(
        `INSERT INTO blacklist (serial, tenant_id, gateway_id, added_at)
         SELECT * FROM unnest($1::numeric[], $2::text[], $3::text[], $4::bigint[]) ON CONFLICT DO NOTHING`,
        [sorted.map((e) => e.serial.toString()), sorted.map((e) => e.tenantId), sorted.map((e) => e.gatewayId), sorted.map((e) => e.addedAt)],
      ),
    );
  }

  async removeBlacklist(serials: bigint[]): Promise<void> {
    await this.write(['blacklist'], (q) => q('DELETE FROM blacklist WHERE serial = ANY($1::numeric[])', [serials.map(String)]));
  }

  async revokeToken(token: RevokedToken): Promise<void> {
    await this.write(['tokens'], (q) =>
      q('INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [token.jti, token.expiresAt]),
    );
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM revoked_tokens WHERE jti = $1', [jti]);
    return rows.length > 0;
  }

  async purgeRevokedTokens(now: number): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM revoked_tokens WHERE expires_at < $1', [now]);
    return rowCount ?? 0;
  }

  async listRevokedTokens(now: number): Promise<RevokedToken[]> {
    // The purge and the read see one snapshot, so the read filters the purged rows itself.
    const { rows } = await this.db.query<RevokedTokenRow>(
      `WITH purged AS (DELETE FROM revoked_tokens WHERE expires_at < $1)
       SELECT jti, expires_at FROM revoked_tokens WHERE expires_at >= $1`,
      [now],
    );
    return rows.map(toRevokedToken);
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const { rows } = await this.db.query<SigningKeyRow>(
      'SELECT kid, alg, private_key, public_key, created_at FROM signing_keys ORDER BY created_at, seq',
    );
    return rows.map(toSigningKey);
  }

  async addSigningKey(key: SigningKeyRecord): Promise<void> {
    await this.write(['keys'], (q) =>
      q('INSERT INTO signing_keys (kid, alg, private_key, public_key, created_at) VALUES ($1, $2, $3, $4, $5)', [
        key.kid,
        key.alg,
        key.privateKeyPem,
        key.publicKeyPem,
        key.createdAt,
      ]),
    );
  }

  async replaceSigningKey(kid: string, expected: string, key: SigningKeyRecord): Promise<boolean> {
    return this.write(['keys'], async (q) => {
      const { rowCount } = await q(
        'UPDATE signing_keys SET alg = $1, private_key = $2, public_key = $3, created_at = $4 WHERE kid = $5 AND private_key = $6',
        [key.alg, key.privateKeyPem, key.publicKeyPem, key.createdAt, kid, expected],
      );
      return rowCount === 1;
    });
  }

  async retireSigningKey(kid: string): Promise<void> {
    await this.write(['keys'], async (q) => {
      // Rows locked in key order, so a concurrent retire or rotate waits rather than both passing the check.
      const { rows } = await q<{ kid: string; alg: string }>('SELECT kid, alg FROM signing_keys ORDER BY created_at, seq FOR UPDATE');
      const row = rows.find((r) => r.kid === kid);
      if (!row) throw new SigningKeyNotFound(`signing key ${kid} does not exist`);
      const newest = rows.filter((r) => r.alg === row.alg).pop();
      if (newest?.kid === kid) throw new FailedPrecondition(`signing key ${kid} is the one signing: rotate first (keys rotate), then retire it`);
      await q('DELETE FROM signing_keys WHERE kid = $1', [kid]);
    });
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  onChange(listener: (topic: StoreTopic, external: boolean) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
    await this.db.close();
  }
}

const unixNow = () => Math.floor(Date.now() / 1000);

/** Lists are passed as text[] parameters. */
const POSTGRES_FILTER: FilterSyntax = {
  equals: (column, position) => `${column} = $${position}`,
  anyOf: (column, position) => `${column} = ANY($${position}::text[])`,
  list: (values) => values,
};

/** The first of `wanted` (in order, counting repeats) that `got` does not hold. */
function firstNotIn(wanted: string[], got: string[]): string | undefined {
  const left = new Map<string, number>();
  for (const id of got) left.set(id, (left.get(id) ?? 0) + 1);
  for (const id of wanted) {
    const n = left.get(id) ?? 0;
    if (n === 0) return id;
    left.set(id, n - 1);
  }
  return undefined;
}

async function insertGateways(q: Query, gateways: GatewayRecord[], now: number): Promise<void> {
  if (gateways.length === 0) return;
  const { rows } = await q<{ gateway_id: string }>(
    `INSERT INTO gateways (gateway_id, tenant_id, created_at)
     SELECT g, t, $3 FROM unnest($1::text[], $2::text[]) AS x (g, t) ORDER BY g ON CONFLICT DO NOTHING RETURNING gateway_id`,
    [gateways.map((g) => g.gatewayId), gateways.map((g) => g.tenantId), now],
  );
  const ids = gateways.map((g) => g.gatewayId);
  const taken = firstNotIn(ids, rows.map((r) => r.gateway_id));
  if (taken !== undefined) throw new AlreadyExists(`gateway ${taken} is already registered`);
}

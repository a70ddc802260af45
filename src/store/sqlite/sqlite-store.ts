/**
 * The embedded store: SQLite through better-sqlite3, one file in the data directory. Every
 * method runs in one transaction, so a crash leaves the old state or the new one. WAL with
 * synchronous=NORMAL: a process crash loses nothing committed; a power cut may lose the last
 * commits (an fsync per commit blocked the event loop on every login; see README). Other processes on the same file (the CLI beside a running server) are noticed through
 * PRAGMA data_version.
 */
import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { AlreadyExists, FailedPrecondition, GatewayNotFound, SigningKeyNotFound, StoreUnavailable, TenantNotFound } from '../../errors';
import { quotaExceeded } from '../gateway-quota';
import { filterClause, FilterSyntax } from '../filter-clause';
import { CertRow, toBlacklistEntry, toCertificate, toGateway, toRevokedToken, toSigningKey, BlacklistRow, GatewayRow, RevokedTokenRow, SigningKeyRow } from '../rows';
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
import { identityTables, IdentityTables } from './identity-tables';
import { presenceTables, PresenceTables } from './presence-tables';
import { challengeTables, ChallengeTables } from './challenge-tables';
import { SqliteContext } from './sqlite-context';
import { MIGRATIONS } from './migrations';
import { reportUnavailable } from './unavailable';
import { createDatabaseGuard, DatabaseGuard } from './database-guard';
import { Logger } from 'pino';
import { Clock } from '../../core/clock';


export interface SqliteStoreOptions {
  /** How often to look for commits made by other processes, in ms (0 = never). */
  pollMs?: number;
  /** Times recent write failures for the health probe (the injected clock in tests). */
  clock?: Clock;
  /** Where to say, once, that the files were deleted or writes fail. */
  log?: Logger;
  /** Open an existing database only (never make a new file or directory). */
  mustExist?: boolean;
}

export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  let db: Database.Database;
  try {
    if (file !== ':memory:' && !options.mustExist) {
      // The database holds secrets: a private directory, and a 0600 file whose mode SQLite gives its -wal and -shm files.
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    }
    db = new Database(file, { fileMustExist: options.mustExist ?? false });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Deleted and overwritten rows (a retired key, a key's plaintext before it was encrypted) are zeroed
    // in pages written anyway: no extra I/O.
    db.pragma('secure_delete = FAST');
    migrate(db);
  } catch (cause) {
    throw new StoreUnavailable(`cannot open the embedded database ${file}`, { cause });
  }
  const guard = createDatabaseGuard(file, options);
  return reportUnavailable(new SqliteStore(db, guard, options.pollMs ?? 500), guard);
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const apply = db.transaction(() => {
    const done = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, unixNow());
    }
  });
  // IMMEDIATE takes the write lock first, so two processes starting at once migrate one after the other.
  apply.immediate();
}

const unixNow = () => Math.floor(Date.now() / 1000);

/** Lists are passed as one JSON text parameter and read back with json_each. */
const SQLITE_FILTER: FilterSyntax = {
  equals: (column) => `${column} = ?`,
  anyOf: (column) => `${column} IN (SELECT value FROM json_each(?))`,
  list: (values) => JSON.stringify(values),
};

// The identity tables' methods are mixed in (see the constructor); this merges their types.
interface SqliteStore extends IdentityTables, PresenceTables, ChallengeTables {}

class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly events = new EventEmitter();
  private dataVersion: number;
  private readonly timer?: NodeJS.Timeout;
  private topicVersions = new Map<string, number>();

  constructor(
    private readonly db: Database.Database,
    private readonly guard: DatabaseGuard,
    pollMs: number,
  ) {
    this.events.setMaxListeners(0);
    const context: SqliteContext = { db, write: (topics, fn) => this.write(topics, fn) };
    Object.assign(this, identityTables(context));
    Object.assign(this, presenceTables(context));
    Object.assign(this, challengeTables(context));
    this.dataVersion = this.readDataVersion();
    this.topicVersions = this.readTopicVersions();
    if (pollMs > 0) {
      this.timer = setInterval(() => this.pollExternalChanges(), pollMs);
      this.timer.unref();
    }
  }

  private readDataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  private readTopicVersions(): Map<string, number> {
    const rows = this.db.prepare('SELECT topic, version FROM change_versions').all() as { topic: string; version: number }[];
    return new Map(rows.map((r) => [r.topic, r.version]));
  }

  private pollExternalChanges(): void {
    if (!this.db.open) return;
    try {
      this.guard.checkFiles();
    } catch {
      return; // Said once in the log; every call is refused from now on.
    }
    const version = this.readDataVersion();
    if (version === this.dataVersion) return;
    this.dataVersion = version;
    const versions = this.readTopicVersions();
    for (const topic of STORE_TOPICS) {
      if (versions.get(topic) !== this.topicVersions.get(topic)) this.events.emit('change', topic, true);
    }
    this.topicVersions = versions;
  }

  // Async for the one signature of every backend (Write); the transaction itself runs at once, synchronously.
  private async write<T>(topics: readonly StoreTopic[], fn: (db: Database.Database) => T | Promise<T>): Promise<T> {
    const bump = this.db.prepare(
      'INSERT INTO change_versions (topic, version) VALUES (?, 1) ON CONFLICT (topic) DO UPDATE SET version = version + 1 RETURNING version',
    );
    const bumped = new Map<string, number>();
    const result = this.db
      .transaction(() => {
        const value = fn(this.db);
        for (const topic of topics) bumped.set(topic, (bump.get(topic) as { version: number }).version);
        return value;
      })
      .immediate();
    // Committed into a file that is no longer the database is lost: not acknowledged.
    this.guard.checkFiles();
    // Our own bumps are known here; other processes' show up at the next poll.
    for (const [topic, version] of bumped) this.topicVersions.set(topic, version);
    for (const topic of topics) this.events.emit('change', topic, false);
    return result;
  }

  async listTenants(): Promise<string[]> {
    return this.db.prepare('SELECT tenant_id FROM tenants ORDER BY tenant_id').pluck().all() as string[];
  }

  async hasTenant(tenantId: string): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM tenants WHERE tenant_id = ?').get(tenantId) !== undefined;
  }

  async tenantGeneration(tenantId: string): Promise<string | undefined> {
    return this.db.prepare('SELECT generation FROM tenants WHERE tenant_id = ?').pluck().get(tenantId) as string | undefined;
  }

  async getTenants(tenantIds: string[]): Promise<TenantRecord[]> {
    const exists = this.db.prepare('SELECT 1 FROM tenants WHERE tenant_id = ?').pluck();
    const gateways = this.db.prepare('SELECT gateway_id FROM gateways WHERE tenant_id = ? ORDER BY gateway_id').pluck();
    return tenantIds
      .filter((id) => exists.get(id) !== undefined)
      .map((tenantId) => ({ tenantId, gatewayIds: gateways.all(tenantId) as string[] }));
  }

  async addTenants(tenants: TenantRecord[]): Promise<void> {
    await this.write(['tenants'], () => {
      const now = unixNow();
      const insert = this.db.prepare('INSERT INTO tenants (tenant_id, created_at, generation) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
      for (const tenant of tenants) {
        if (insert.run(tenant.tenantId, now, newTenantGeneration()).changes === 0) {
          throw new AlreadyExists(`tenant ${tenant.tenantId} already exists`);
        }
        this.insertGateways(tenant.tenantId, tenant.gatewayIds, now);
      }
    });
  }

  private insertGateways(tenantId: string, gatewayIds: string[], now: number): void {
    const insert = this.db.prepare('INSERT INTO gateways (gateway_id, tenant_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    for (const gatewayId of gatewayIds) {
      if (insert.run(gatewayId, tenantId, now).changes === 0) {
        throw new AlreadyExists(`gateway ${gatewayId} is already registered`);
      }
    }
  }

  async deleteTenants(tenantIds: string[]): Promise<void> {
    await this.write(['tenants'], () => {
      const remove = this.db.prepare('DELETE FROM tenants WHERE tenant_id = ?');
      for (const id of tenantIds) {
        if (remove.run(id).changes === 0) throw new TenantNotFound(`tenant ${id} does not exist`);
      }
    });
  }

  async listGateways(tenantId?: string): Promise<GatewayRecord[]> {
    const rows = (
      tenantId === undefined
        ? this.db.prepare('SELECT gateway_id, tenant_id FROM gateways ORDER BY gateway_id').all()
        : this.db.prepare('SELECT gateway_id, tenant_id FROM gateways WHERE tenant_id = ? ORDER BY gateway_id').all(tenantId)
    ) as GatewayRow[];
    return rows.map(toGateway);
  }

  async findGateway(gatewayId: string): Promise<GatewayRecord | undefined> {
    const row = this.db.prepare('SELECT gateway_id, tenant_id FROM gateways WHERE gateway_id = ?').get(gatewayId) as GatewayRow | undefined;
    return row && toGateway(row);
  }

  async addGateways(tenantId: string, gatewayIds: string[], maxPerTenant = Infinity): Promise<void> {
    await this.write(['tenants'], () => {
      if (this.db.prepare('SELECT 1 FROM tenants WHERE tenant_id = ?').get(tenantId) === undefined) {
        throw new TenantNotFound(`tenant ${tenantId} does not exist`);
      }
      if (maxPerTenant !== Infinity) {
        const { n } = this.db.prepare('SELECT count(*) AS n FROM gateways WHERE tenant_id = ?').get(tenantId) as { n: number };
        if (n + gatewayIds.length > maxPerTenant) throw quotaExceeded(tenantId, n, gatewayIds.length, maxPerTenant);
      }
      this.insertGateways(tenantId, gatewayIds, unixNow());
    });
  }

  async deleteGateways(gateways: GatewayRecord[]): Promise<void> {
    await this.write(['tenants'], () => {
      const remove = this.db.prepare('DELETE FROM gateways WHERE gateway_id = ? AND tenant_id = ?');
      for (const { gatewayId, tenantId } of gateways) {
        if (remove.run(gatewayId, tenantId).changes === 0) throw new GatewayNotFound(`gateway ${gatewayId} does not exist`);
      }
    });
  }

  async recordCertificate(record: Omit<CertificateRecord, 'blacklisted'>): Promise<void> {
    await this.write(['certificates'], () => {
      this.db
        .prepare(
          `INSERT INTO certificates (serial, kind, tenant_id, gateway_id, subject, issued_at, expires_at, fingerprint)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          record.serial.toString(),
          record.kind,
          record.tenantId,
          record.gatewayId,
          JSON.stringify(record.subject),
          record.issuedAt,
          record.expiresAt,
          record.fingerprint,
        );
    });
  }

  private selectCertificates(where: string, params: unknown[]): CertificateRecord[] {
    const rows = this.db
      .prepare(
        `SELECT c.*, (b.serial IS NOT NULL) AS blacklisted FROM certificates c
         LEFT JOIN blacklist b ON b.serial = c.serial ${where} ORDER BY c.issued_at, c.serial`,
      )
      .all(...params) as CertRow[];
    return rows.map(toCertificate);
  }

  async listCertificates(filter: CertificateFilter = {}): Promise<CertificateRecord[]> {
    const { clause, params } = filterClause('c', filter, SQLITE_FILTER);
    return this.selectCertificates(clause, params);
  }

  async findCertificate(serial: bigint): Promise<CertificateRecord | undefined> {
    return this.selectCertificates('WHERE c.serial = ?', [serial.toString()])[0];
  }

  async listBlacklist(filter: CertificateFilter = {}): Promise<BlacklistEntry[]> {
    const { clause, params } = filterClause('b', filter, SQLITE_FILTER);
    const rows = this.db.prepare(`SELECT * FROM blacklist b ${clause} ORDER BY b.added_at, b.serial`).all(...params) as BlacklistRow[];
    return rows.map(toBlacklistEntry);
  }

  async addBlacklist(entries: BlacklistEntry[]): Promise<void> {
    await this.write(['blacklist'], () => {
      const insert = this.db.prepare(
        'INSERT INTO blacklist (serial, tenant_id, gateway_id, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      );
      for (const e of entries) insert.run(e.serial.toString(), e.tenantId, e.gatewayId, e.addedAt);
    });
  }

  async removeBlacklist(serials: bigint[]): Promise<void> {
    await this.write(['blacklist'], () => {
      const remove = this.db.prepare('DELETE FROM blacklist WHERE serial = ?');
      for (const s of serials) remove.run(s.toString());
    });
  }

  async revokeToken(token: RevokedToken): Promise<void> {
    await this.write(['tokens'], () => {
      this.db
        .prepare('INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING')
        .run(token.jti, token.expiresAt);
    });
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM revoked_tokens WHERE jti = ?').get(jti) !== undefined;
  }

  async purgeRevokedTokens(now: number): Promise<number> {
    return this.write([], () => this.db.prepare('DELETE FROM revoked_tokens WHERE expires_at < ?').run(now).changes);
  }

  async listRevokedTokens(now: number): Promise<RevokedToken[]> {
    await this.write([], () => this.db.prepare('DELETE FROM revoked_tokens WHERE expires_at < ?').run(now));
    const rows = this.db.prepare('SELECT jti, expires_at FROM revoked_tokens').all() as RevokedTokenRow[];
    return rows.map(toRevokedToken);
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const rows = this.db.prepare('SELECT * FROM signing_keys ORDER BY created_at, rowid').all() as SigningKeyRow[];
    return rows.map(toSigningKey);
  }

  async addSigningKey(key: SigningKeyRecord): Promise<void> {
    await this.write(['keys'], () => {
      this.db
        .prepare('INSERT INTO signing_keys (kid, alg, private_key, public_key, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(key.kid, key.alg, key.privateKeyPem, key.publicKeyPem, key.createdAt);
    });
  }

  async replaceSigningKey(kid: string, expected: string, key: SigningKeyRecord): Promise<boolean> {
    return this.write(['keys'], () => {
      const changed = this.db
        .prepare('UPDATE signing_keys SET alg = ?, private_key = ?, public_key = ?, created_at = ? WHERE kid = ? AND private_key = ?')
        .run(key.alg, key.privateKeyPem, key.publicKeyPem, key.createdAt, kid, expected).changes;
      return changed === 1;
    });
  }

  async retireSigningKey(kid: string): Promise<void> {
    await this.write(['keys'], () => {
      const row = this.db.prepare('SELECT alg FROM signing_keys WHERE kid = ?').get(kid) as { alg: string } | undefined;
      if (!row) throw new SigningKeyNotFound(`signing key ${kid} does not exist`);
      const newest = this.db.prepare('SELECT kid FROM signing_keys WHERE alg = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').pluck().get(row.alg);
      if (newest === kid) throw new FailedPrecondition(`signing key ${kid} is the one signing: rotate first (keys rotate), then retire it`);
      this.db.prepare('DELETE FROM signing_keys WHERE kid = ?').run(kid);
    });
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  onChange(listener: (topic: StoreTopic, external: boolean) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.db.open) this.db.close();
  }
}

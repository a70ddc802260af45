/**
 * Versioned schema of the PostgreSQL store, the same tables as the embedded one. Append only: never
 * edit a migration that has shipped. Serials are NUMERIC (exact up to 20 octets); times are BIGINT;
 * IDs sort bytewise (COLLATE "C"), as in SQLite.
 */
import { PoolClient, QueryConfig } from 'pg';

export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE tenants (
        tenant_id  TEXT COLLATE "C" PRIMARY KEY,
        created_at BIGINT NOT NULL
      );
      INSERT INTO tenants (tenant_id, created_at) VALUES ('administrator', EXTRACT(EPOCH FROM now())::BIGINT);
      CREATE TABLE gateways (
        gateway_id TEXT COLLATE "C" PRIMARY KEY,
        tenant_id  TEXT COLLATE "C" NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX gateways_by_tenant ON gateways (tenant_id);
      CREATE TABLE certificates (
        serial      NUMERIC(49, 0) PRIMARY KEY,
        kind        TEXT NOT NULL,
        tenant_id   TEXT COLLATE "C",
        gateway_id  TEXT COLLATE "C",
        subject     TEXT NOT NULL,
        issued_at   BIGINT NOT NULL,
        expires_at  BIGINT NOT NULL,
        fingerprint TEXT NOT NULL
      );
      CREATE INDEX certificates_by_tenant ON certificates (tenant_id);
      CREATE INDEX certificates_by_gateway ON certificates (gateway_id);
      CREATE TABLE blacklist (
        serial     NUMERIC(49, 0) PRIMARY KEY,
        tenant_id  TEXT COLLATE "C" NOT NULL,
        gateway_id TEXT COLLATE "C",
        added_at   BIGINT NOT NULL
      );
      CREATE TABLE revoked_tokens (
        jti        TEXT PRIMARY KEY,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);
      CREATE TABLE signing_keys (
        seq         BIGINT GENERATED ALWAYS AS IDENTITY,
        kid         TEXT PRIMARY KEY,
        alg         TEXT NOT NULL,
        private_key TEXT NOT NULL,
        public_key  TEXT NOT NULL,
        created_at  BIGINT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'identity core: users, roles, refresh tokens, failure counters, audit',
    sql: `
      CREATE TABLE roles (
        name        TEXT COLLATE "C" PRIMARY KEY,
        permissions TEXT NOT NULL,
        created_at  BIGINT NOT NULL,
        updated_at  BIGINT NOT NULL
      );
      INSERT INTO roles (name, permissions, created_at, updated_at) VALUES
        ('admin', '{"Users":["view","edit","delete"],"Gateways":["view","edit","delete"],"Devices":["view","edit","delete"]}', 0, 0),
        ('user', '{"Gateways":["view"],"Devices":["view"]}', 0, 0);
      CREATE TABLE users (
        user_id              TEXT COLLATE "C" PRIMARY KEY,
        username             TEXT COLLATE "C" NOT NULL UNIQUE,
        tenant_id            TEXT COLLATE "C" NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
        role                 TEXT COLLATE "C" NOT NULL REFERENCES roles (name),
        password_hash        TEXT NOT NULL,
        email                TEXT NOT NULL,
        first_name           TEXT NOT NULL,
        last_name            TEXT NOT NULL,
        disabled             BOOLEAN NOT NULL,
        must_change_password BOOLEAN NOT NULL,
        created_at           BIGINT NOT NULL,
        updated_at           BIGINT NOT NULL
      );
      CREATE INDEX users_by_tenant ON users (tenant_id);
      CREATE INDEX users_by_role ON users (role);
      CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        family_id  TEXT NOT NULL,
        user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        dialect    TEXT NOT NULL,
        rotating   BOOLEAN NOT NULL,
        issued_at  BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at    BIGINT,
        revoked_at BIGINT
      );
      CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
      CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);
      CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
      CREATE TABLE failure_counters (
        key             TEXT PRIMARY KEY,
        failures        INTEGER NOT NULL,
        locked_until    BIGINT NOT NULL,
        last_failure_at BIGINT NOT NULL
      );
      CREATE TABLE audit_events (
        id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at        BIGINT NOT NULL,
        event     TEXT NOT NULL,
        outcome   TEXT NOT NULL,
        dialect   TEXT NOT NULL,
        username  TEXT,
        tenant_id TEXT,
        address   TEXT,
        detail    TEXT
      );
    `,
  },
  {
    version: 3,
    name: 'revoked refresh token families',
    // A family is revoked as a whole, so a token added to it later (a rotation racing a reuse
    // incident) is born revoked.
    sql: `
      CREATE TABLE revoked_refresh_families (
        family_id  TEXT PRIMARY KEY,
        revoked_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'device gateway presence across instances',
    sql: `
      CREATE TABLE instances (
        instance_id TEXT PRIMARY KEY,
        seen_at     BIGINT NOT NULL
      );
      CREATE TABLE gateway_presence (
        gateway_id  TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        tenant_id   TEXT NOT NULL,
        device_ids  TEXT NOT NULL,
        since       BIGINT NOT NULL,
        PRIMARY KEY (gateway_id, instance_id)
      );
    `,
  },
  {
    version: 5,
    name: 'indexes for purging stale lockout counters and refresh tokens',
    // The hourly purge reaches old counters by their last failure, and asks of each expired token
    // whether its family has a later one: (family_id, expires_at) answers in one seek and serves
    // every lookup by family_id, so it replaces the index on family_id alone.
    sql: `
      CREATE INDEX failure_counters_by_last_failure ON failure_counters (last_failure_at);
      CREATE INDEX refresh_tokens_by_family_expiry ON refresh_tokens (family_id, expires_at);
      DROP INDEX refresh_tokens_by_family;
    `,
  },
  {
    version: 6,
    name: 'spent challenge sessions',
    // A challenge session is single use across every instance; a row lives until the session
    // expires (minutes), so the table holds only the sessions answered lately.
    sql: `
      CREATE TABLE spent_challenges (
        session_id TEXT COLLATE "C" PRIMARY KEY,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX spent_challenges_by_expiry ON spent_challenges (expires_at);
    `,
  },
  {
    version: 7,
    name: 'tenant generations',
    // A tenant deleted and added again is a new tenant: tokens name the generation they were issued
    // for. Tenants made before this migration share the empty generation, as do the tokens issued
    // for them (which carry none).
    sql: `
      ALTER TABLE tenants ADD COLUMN generation TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    version: 8,
    name: 'audit actors',
    // Who made an administrative change or a gRPC login: the client certificate or the OS user.
    sql: `
      ALTER TABLE audit_events ADD COLUMN actor TEXT;
    `,
  },
  {
    version: 9,
    name: 'audit time index',
    // audit list reads newest first by (at, id) and the retention purge takes the oldest `at`: both walk
    // this index instead of the table (built under the migration's lock: writes of audit rows wait for it).
    sql: `
      CREATE INDEX audit_events_by_time ON audit_events (at, id);
    `,
  },
];

/** Any fixed number, the first half of the advisory lock key; the second is the schema's hash. */
const LOCK_CLASS = 0x6d677731;
/** Waiting for another instance's migration may take longer than an ordinary statement. */
export const MIGRATION_TIMEOUT_MS = 120_000;

/**
 * Applies the missing migrations in one transaction. The advisory lock, taken before anything
 * else, makes instances that start at once migrate one after the other; it ends with the transaction.
 */
export async function migrate(client: PoolClient): Promise<void> {
  // pg honours a per-query query_timeout, though its types do not list it.
  const run = (text: string, values?: unknown[]) => client.query({ text, values, query_timeout: MIGRATION_TIMEOUT_MS + 5000 } as QueryConfig);
  await run('BEGIN');
  try {
    await run(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
    await run('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [LOCK_CLASS]);
    await run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const done = new Set((await run('SELECT version FROM schema_migrations')).rows.map((r: { version: number }) => r.version));
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await run(m.sql);
      await run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, EXTRACT(EPOCH FROM now())::BIGINT)', [m.version, m.name]);
    }
    await run('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Versioned schema of the embedded store. Append only: never edit a migration that has shipped. */
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE tenants (
        tenant_id  TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL
      );
      INSERT INTO tenants (tenant_id, created_at) VALUES ('administrator', CAST(strftime('%s','now') AS INTEGER));
      CREATE TABLE gateways (
        gateway_id TEXT PRIMARY KEY,
        tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX gateways_by_tenant ON gateways (tenant_id);
      CREATE TABLE certificates (
        serial      TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        tenant_id   TEXT,
        gateway_id  TEXT,
        subject     TEXT NOT NULL,
        issued_at   INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        fingerprint TEXT NOT NULL
      );
      CREATE INDEX certificates_by_tenant ON certificates (tenant_id);
      CREATE INDEX certificates_by_gateway ON certificates (gateway_id);
      CREATE TABLE blacklist (
        serial     TEXT PRIMARY KEY,
        tenant_id  TEXT NOT NULL,
        gateway_id TEXT,
        added_at   INTEGER NOT NULL
      );
      CREATE TABLE revoked_tokens (
        jti        TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);
      CREATE TABLE signing_keys (
        kid         TEXT PRIMARY KEY,
        alg         TEXT NOT NULL,
        private_key TEXT NOT NULL,
        public_key  TEXT NOT NULL,
        created_at  INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'identity core: users, roles, refresh tokens, failure counters, audit',
    sql: `
      CREATE TABLE roles (
        name        TEXT PRIMARY KEY,
        permissions TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      );
      INSERT INTO roles (name, permissions, created_at, updated_at) VALUES
        ('admin', '{"Users":["view","edit","delete"],"Gateways":["view","edit","delete"],"Devices":["view","edit","delete"]}', 0, 0),
        ('user', '{"Gateways":["view"],"Devices":["view"]}', 0, 0);
      CREATE TABLE users (
        user_id              TEXT PRIMARY KEY,
        username             TEXT NOT NULL UNIQUE,
        tenant_id            TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
        role                 TEXT NOT NULL REFERENCES roles (name),
        password_hash        TEXT NOT NULL,
        email                TEXT NOT NULL,
        first_name           TEXT NOT NULL,
        last_name            TEXT NOT NULL,
        disabled             INTEGER NOT NULL,
        must_change_password INTEGER NOT NULL,
        created_at           INTEGER NOT NULL,
        updated_at           INTEGER NOT NULL
      );
      CREATE INDEX users_by_tenant ON users (tenant_id);
      CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        family_id  TEXT NOT NULL,
        user_id    TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        dialect    TEXT NOT NULL,
        rotating   INTEGER NOT NULL,
        issued_at  INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at    INTEGER,
        revoked_at INTEGER
      );
      CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
      CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);
      CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
      CREATE TABLE failure_counters (
        key             TEXT PRIMARY KEY,
        failures        INTEGER NOT NULL,
        locked_until    INTEGER NOT NULL,
        last_failure_at INTEGER NOT NULL
      );
      CREATE TABLE audit_events (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        at        INTEGER NOT NULL,
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
        revoked_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'change versions per topic',
    // Bumped in the transaction of every write, so another process reloads only what changed
    // (not everything on each audit row or failure count).
    sql: `
      CREATE TABLE change_versions (
        topic   TEXT PRIMARY KEY,
        version INTEGER NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'device gateway presence across instances',
    sql: `
      CREATE TABLE instances (
        instance_id TEXT PRIMARY KEY,
        seen_at     INTEGER NOT NULL
      );
      CREATE TABLE gateway_presence (
        gateway_id  TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        tenant_id   TEXT NOT NULL,
        device_ids  TEXT NOT NULL,
        since       INTEGER NOT NULL,
        PRIMARY KEY (gateway_id, instance_id)
      );
    `,
  },
  {
    version: 6,
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
    version: 7,
    name: 'spent challenge sessions',
    // A challenge session is single use across every process on the file; a row lives until the
    // session expires (minutes), so the table holds only the sessions answered lately.
    sql: `
      CREATE TABLE spent_challenges (
        session_id TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX spent_challenges_by_expiry ON spent_challenges (expires_at);
    `,
  },
  {
    version: 8,
    name: 'tenant generations',
    // A tenant deleted and added again is a new tenant: tokens name the generation they were issued
    // for. Tenants made before this migration share the empty generation, as do the tokens issued
    // for them (which carry none).
    sql: `
      ALTER TABLE tenants ADD COLUMN generation TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    version: 9,
    name: 'audit actors',
    // Who made an administrative change or a gRPC login: the client certificate or the OS user.
    sql: `
      ALTER TABLE audit_events ADD COLUMN actor TEXT;
    `,
  },
  {
    version: 10,
    name: 'audit time index',
    // audit list reads newest first by (at, id) and the retention purge takes the oldest `at`: both walk
    // this index instead of the table. The rowid (id) is part of every SQLite index, so (at) orders as (at, id).
    sql: `
      CREATE INDEX audit_events_by_time ON audit_events (at);
    `,
  },
];

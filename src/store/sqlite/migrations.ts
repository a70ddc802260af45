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
];

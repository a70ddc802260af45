/** The issuance history and the blacklist in the embedded database. */
import { filterClause, FilterSyntax } from '../filter-clause';
import { BlacklistRow, CertRow, toBlacklistEntry, toCertificate } from '../rows';
import { CertificateRecord, CertificateStore } from '../store';
import { SqliteContext } from './sqlite-context';

/** Lists are passed as one JSON text parameter and read back with json_each. */
const SQLITE_FILTER: FilterSyntax = {
  equals: (column) => `${column} = ?`,
  anyOf: (column) => `${column} IN (SELECT value FROM json_each(?))`,
  list: (values) => JSON.stringify(values),
};

export function certificateTables({ sql, write }: SqliteContext): CertificateStore {
  const selectCertificates = (where: string, params: unknown[]): CertificateRecord[] => {
    const rows = sql(
      `SELECT c.*, (b.serial IS NOT NULL) AS blacklisted FROM certificates c
       LEFT JOIN blacklist b ON b.serial = c.serial ${where} ORDER BY c.issued_at, c.serial`,
    ).all(...params) as CertRow[];
    return rows.map(toCertificate);
  };

  return {
    async recordCertificate(record) {
      await write(['certificates'], () => {
        sql(
          `INSERT INTO certificates (serial, kind, tenant_id, gateway_id, subject, issued_at, expires_at, fingerprint)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
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
    },

    async listCertificates(filter = {}) {
      const { clause, params } = filterClause('c', filter, SQLITE_FILTER);
      return selectCertificates(clause, params);
    },

    async findCertificate(serial) {
      return selectCertificates('WHERE c.serial = ?', [serial.toString()])[0];
    },

    async listBlacklist(filter = {}) {
      const { clause, params } = filterClause('b', filter, SQLITE_FILTER);
      const rows = sql(`SELECT * FROM blacklist b ${clause} ORDER BY b.added_at, b.serial`).all(...params) as BlacklistRow[];
      return rows.map(toBlacklistEntry);
    },

    async addBlacklist(entries) {
      await write(['blacklist'], () => {
        const insert = sql('INSERT INTO blacklist (serial, tenant_id, gateway_id, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
        for (const e of entries) insert.run(e.serial.toString(), e.tenantId, e.gatewayId, e.addedAt);
      });
    },

    async removeBlacklist(serials) {
      await write(['blacklist'], () => {
        const remove = sql('DELETE FROM blacklist WHERE serial = ?');
        for (const s of serials) remove.run(s.toString());
      });
    },
  };
}

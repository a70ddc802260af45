/** The issuance history and the blacklist in PostgreSQL. */
import { filterClause, FilterSyntax } from '../filter-clause';
import { BlacklistRow, CertRow, toBlacklistEntry, toCertificate } from '../rows';
import { BlacklistEntry, CertificateFilter, CertificateRecord, CertificateStore } from '../store';
import { PostgresContext } from './postgres-context';

/** Lists are passed as text[] parameters. */
const POSTGRES_FILTER: FilterSyntax = {
  equals: (column, position) => `${column} = $${position}`,
  anyOf: (column, position) => `${column} = ANY($${position}::text[])`,
  list: (values) => values,
};

export function certificateTables({ db, write }: PostgresContext): CertificateStore {
  const selectCertificates = async (where: string, params: unknown[]): Promise<CertificateRecord[]> => {
    const { rows } = await db.query<CertRow>(
      `SELECT c.*, (b.serial IS NOT NULL) AS blacklisted FROM certificates c
       LEFT JOIN blacklist b ON b.serial = c.serial ${where} ORDER BY c.issued_at, c.serial`,
      params,
    );
    return rows.map(toCertificate);
  };

  return {
    async recordCertificate(record: Omit<CertificateRecord, 'blacklisted'>): Promise<void> {
      await write(['certificates'], (q) =>
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
    },

    async listCertificates(filter: CertificateFilter = {}): Promise<CertificateRecord[]> {
      const { clause, params } = filterClause('c', filter, POSTGRES_FILTER);
      return selectCertificates(clause, params);
    },

    async findCertificate(serial: bigint): Promise<CertificateRecord | undefined> {
      return (await selectCertificates('WHERE c.serial = $1', [serial.toString()]))[0];
    },

    async listBlacklist(filter: CertificateFilter = {}): Promise<BlacklistEntry[]> {
      const { clause, params } = filterClause('b', filter, POSTGRES_FILTER);
      const { rows } = await db.query<BlacklistRow>(
        `SELECT * FROM blacklist b ${clause} ORDER BY b.added_at, b.serial`,
        params,
      );
      return rows.map(toBlacklistEntry);
    },

    async addBlacklist(entries: BlacklistEntry[]): Promise<void> {
      const sorted = [...entries].sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
      await write(['blacklist'], (q) =>
        q(
          `INSERT INTO blacklist (serial, tenant_id, gateway_id, added_at)
           SELECT * FROM unnest($1::numeric[], $2::text[], $3::text[], $4::bigint[]) ON CONFLICT DO NOTHING`,
          [sorted.map((e) => e.serial.toString()), sorted.map((e) => e.tenantId), sorted.map((e) => e.gatewayId), sorted.map((e) => e.addedAt)],
        ),
      );
    },

    async removeBlacklist(serials: bigint[]): Promise<void> {
      await write(['blacklist'], (q) => q('DELETE FROM blacklist WHERE serial = ANY($1::numeric[])', [serials.map(String)]));
    },
  };
}

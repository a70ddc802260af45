/** Device gateway presence across gateway instances sharing one PostgreSQL database. */
import { PresenceRow, toPresence } from '../rows';
import { PresenceRecord, PresenceStore } from '../store';
import { PostgresContext } from './postgres-context';

export function presenceTables({ db, write }: PostgresContext): PresenceStore {
  return {
    async putPresence(r: PresenceRecord) {
      await write(['presence'], (q) =>
        q(
          `INSERT INTO gateway_presence (gateway_id, instance_id, tenant_id, device_ids, since) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (gateway_id, instance_id) DO UPDATE SET tenant_id = excluded.tenant_id, device_ids = excluded.device_ids`,
          [r.gatewayId, r.instanceId, r.tenantId, JSON.stringify(r.deviceIds), r.since],
        ),
      );
    },
    async removePresence(gatewayId: string, instanceId: string) {
      await write(['presence'], (q) => q('DELETE FROM gateway_presence WHERE gateway_id = $1 AND instance_id = $2', [gatewayId, instanceId]));
    },
    async heartbeat(instanceId: string, at: number) {
      await db.query('INSERT INTO instances (instance_id, seen_at) VALUES ($1, $2) ON CONFLICT (instance_id) DO UPDATE SET seen_at = excluded.seen_at', [instanceId, at]);
    },
    async listPresence(aliveSince: number) {
      const { rows } = await db.query<PresenceRow>(
        `SELECT p.gateway_id, p.instance_id, p.tenant_id, p.device_ids, p.since FROM gateway_presence p
         JOIN instances i ON i.instance_id = p.instance_id WHERE i.seen_at >= $1 ORDER BY p.gateway_id, p.instance_id`,
        [aliveSince],
      );
      return rows.map(toPresence);
    },
    async retireInstance(instanceId: string) {
      await write(['presence'], async (q) => {
        await q('DELETE FROM gateway_presence WHERE instance_id = $1', [instanceId]);
        await q('DELETE FROM instances WHERE instance_id = $1', [instanceId]);
      });
    },
  };
}

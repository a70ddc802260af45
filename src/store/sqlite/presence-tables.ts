/** Device gateway presence across gateway instances sharing one embedded database file. */
import { PresenceRow, toPresence } from '../rows';
import { PresenceRecord, PresenceStore } from '../store';
import { SqliteContext } from './sqlite-context';

export function presenceTables({ sql, write }: SqliteContext): PresenceStore {
  return {
    async putPresence(r: PresenceRecord) {
      await write(['presence'], () => {
        sql(
          `INSERT INTO gateway_presence (gateway_id, instance_id, tenant_id, device_ids, since) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (gateway_id, instance_id) DO UPDATE SET tenant_id = excluded.tenant_id, device_ids = excluded.device_ids`,
        ).run(r.gatewayId, r.instanceId, r.tenantId, JSON.stringify(r.deviceIds), r.since);
      });
    },
    async removePresence(gatewayId: string, instanceId: string) {
      await write(['presence'], () => {
        sql('DELETE FROM gateway_presence WHERE gateway_id = ? AND instance_id = ?').run(gatewayId, instanceId);
      });
    },
    async heartbeat(instanceId: string, at: number) {
      await write([], () => {
        sql('INSERT INTO instances (instance_id, seen_at) VALUES (?, ?) ON CONFLICT (instance_id) DO UPDATE SET seen_at = excluded.seen_at').run(instanceId, at);
      });
    },
    async listPresence(aliveSince: number) {
      const rows = sql(
        `SELECT p.gateway_id, p.instance_id, p.tenant_id, p.device_ids, p.since FROM gateway_presence p
         JOIN instances i ON i.instance_id = p.instance_id WHERE i.seen_at >= ? ORDER BY p.gateway_id, p.instance_id`,
      ).all(aliveSince) as PresenceRow[];
      return rows.map(toPresence);
    },
    async retireInstance(instanceId: string) {
      await write(['presence'], () => {
        sql('DELETE FROM gateway_presence WHERE instance_id = ?').run(instanceId);
        sql('DELETE FROM instances WHERE instance_id = ?').run(instanceId);
      });
    },
  };
}

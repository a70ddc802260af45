/** `audit list`: who did what, newest first, a page at a time, read from the store the server writes. */
import { Command } from 'commander';
import { systemClock } from '../core/clock';
import { InvalidArgument } from '../errors';
import { AUDIT_KINDS, AuditQuery, StoredAuditEvent } from '../store/store';
import { printJson, printTable } from './output';
import { withCore } from './with-core';

const dataDir = ['--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)'] as const;

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 1000;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `15m`, `2h`, `7d` back from now, or a time (ISO 8601): Unix ms. */
export function parseSince(value: string, now: number): number {
  const duration = /^(\d{1,9})([smhd])$/.exec(value);
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2]];
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) throw new InvalidArgument(`--since takes a duration (30s, 15m, 2h, 7d) or an ISO 8601 time, not ${JSON.stringify(value)}`);
  return at;
}

interface ListFlags {
  since?: string;
  tenant?: string;
  actor?: string;
  kind?: string;
  outcome?: string;
  json?: boolean;
  limit?: string;
  before?: string;
  dataDir?: string;
}

/** The flags as a store query, every problem refused before the store is opened. */
export function auditQuery(f: ListFlags, now: number): AuditQuery {
  const limit = f.limit === undefined ? DEFAULT_PAGE : Number(f.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new InvalidArgument(`--limit takes a whole number from 1 to ${MAX_PAGE}`);
  if (f.outcome !== undefined && f.outcome !== 'ok' && f.outcome !== 'refused') throw new InvalidArgument('--outcome takes ok or refused');
  if (f.kind !== undefined && !(AUDIT_KINDS as readonly string[]).includes(f.kind)) throw new InvalidArgument(`--kind takes one of ${AUDIT_KINDS.join(', ')}`);
  // The cursor is the id of the previous page's last event, as that page printed it.
  if (f.before !== undefined && !/^[1-9]\d{0,17}$/.test(f.before)) throw new InvalidArgument('--before takes the cursor a previous page printed');
  return {
    limit,
    ...(f.since !== undefined ? { since: parseSince(f.since, now) } : {}),
    ...(f.tenant !== undefined ? { tenantId: f.tenant } : {}),
    ...(f.actor !== undefined ? { actor: f.actor } : {}),
    ...(f.kind !== undefined ? { kind: f.kind } : {}),
    ...(f.outcome !== undefined ? { outcome: f.outcome as 'ok' | 'refused' } : {}),
    ...(f.before !== undefined ? { beforeId: Number(f.before) } : {}),
  };
}

const view = (e: StoredAuditEvent) => ({
  id: String(e.id),
  time: new Date(e.at).toISOString(),
  kind: e.event,
  outcome: e.outcome === 'success' ? 'ok' : 'refused',
  result: e.outcome,
  door: e.dialect,
  tenant: e.tenantId,
  actor: e.actor ?? null,
  user: e.username,
  address: e.address,
  detail: e.detail,
});

export function auditCommand(): Command {
  const audit = new Command('audit').description('the audit trail: logins of every door and every administrative change');
  audit
    .command('list')
    .description(`audit events, newest first, ${DEFAULT_PAGE} a page (the next page: --before the cursor printed)`)
    .option('--since <duration|time>', 'only events since 30s, 15m, 2h, 7d ago, or since an ISO 8601 time')
    .option('--tenant <id>', 'only events of this tenant')
    .option('--actor <text>', 'only events whose actor (certificate serial or subject, os:user) contains this, or of this user')
    .option('--kind <kind>', `only events of this kind (${AUDIT_KINDS.join(', ')})`)
    .option('--outcome <ok|refused>', 'only successes, or only refusals')
    .option('--limit <n>', `events per page (1-${MAX_PAGE}, default ${DEFAULT_PAGE})`)
    .option('--before <cursor>', 'the next page: the cursor the previous page printed')
    .option('--json', 'machine-readable output')
    .option(...dataDir)
    .action(async (f: ListFlags) => {
      const query = auditQuery(f, systemClock());
      await withCore(f.dataDir, async ({ store }) => {
        // One more than a page says whether there is a next one.
        const found = await store.queryAudit({ ...query, limit: query.limit + 1 });
        const page = found.slice(0, query.limit).map(view);
        const next = found.length > query.limit ? page[page.length - 1].id : null;
        if (f.json) {
          printJson({ events: page, next });
          return;
        }
        printTable(
          page.map((e) => ({
            time: e.time,
            kind: e.kind,
            outcome: e.outcome === 'ok' ? 'ok' : `refused (${e.result})`,
            door: e.door,
            tenant: e.tenant ?? '',
            actor: e.actor ?? e.user ?? '',
            detail: e.detail ?? '',
          })),
          ['time', 'kind', 'outcome', 'door', 'tenant', 'actor', 'detail'],
        );
        if (next) process.stdout.write(`next page: --before ${next}\n`);
      });
    });
  return audit;
}

/** `certs list`, `certs blacklist`, `certs unblacklist`: the issuance history and the blacklist in the store. */
import { Command } from 'commander';
import { InvalidArgument } from '../errors';
import { checkId } from '../pki/ids';
import { printJson, printTable } from './output';
import { withStore } from './with-store';

const dataDirOption = ['--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)'] as const;
const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString().slice(0, 10);

function parseSerial(text: string): bigint {
  if (!/^(0x[0-9a-fA-F]{1,16}|\d{1,19})$/.test(text)) throw new InvalidArgument('SERIAL must be a decimal or 0x-prefixed hex serial number');
  const serial = BigInt(text);
  if (serial <= 0n || serial >= 1n << 63n) throw new InvalidArgument('SERIAL must be a positive 63-bit serial number');
  return serial;
}

export function addCertsStoreCommands(certs: Command): void {
  certs
    .command('list')
    .description('the issuance history (every certificate the gateway issued, never the keys)')
    .option('--tenant <id>', 'only this tenant\'s certificates (its gateways\' included)')
    .option('--gateway <id>', 'only this gateway\'s certificates')
    .option('--json', 'machine-readable output')
    .option(...dataDirOption)
    .action((flags: { tenant?: string; gateway?: string; json?: boolean; dataDir?: string }) =>
      withStore(flags.dataDir, async (store) => {
        const rows = await store.listCertificates({ tenantId: flags.tenant, gatewayId: flags.gateway });
        if (flags.json) printJson(rows);
        else
          printTable(
            rows.map((r) => ({
              serial: r.serial.toString(),
              kind: r.kind,
              tenant: r.tenantId ?? '-',
              gateway: r.gatewayId ?? '-',
              issued: iso(r.issuedAt),
              expires: iso(r.expiresAt),
              blacklisted: r.blacklisted ? 'yes' : 'no',
            })),
            ['serial', 'kind', 'tenant', 'gateway', 'issued', 'expires', 'blacklisted'],
          );
      }),
    );

  certs
    .command('blacklist <serial>')
    .description('blacklist a certificate: it can no longer log in or subscribe, and tokens bound to it stop working')
    .option('--tenant <id>', 'owner, for a certificate not in the issuance history (e.g. made with openssl)')
    .option('--gateway <id>', 'owning gateway, for such a certificate')
    .option(...dataDirOption)
    .action((text: string, flags: { tenant?: string; gateway?: string; dataDir?: string }) =>
      withStore(flags.dataDir, async (store) => {
        const serial = parseSerial(text);
        const record = await store.findCertificate(serial);
        const tenantId = record?.tenantId ?? (flags.tenant ? checkId(flags.tenant, '--tenant') : undefined);
        if (!tenantId) throw new InvalidArgument(`serial ${serial} is not in the issuance history; say whose it is with --tenant`);
        const gatewayId = record ? record.gatewayId : flags.gateway ? checkId(flags.gateway, '--gateway') : null;
        await store.addBlacklist([{ serial, tenantId, gatewayId, addedAt: Math.floor(Date.now() / 1000) }]);
        process.stdout.write(`blacklisted serial ${serial} (tenant ${tenantId}${gatewayId ? `, gateway ${gatewayId}` : ''})\n`);
      }),
    );

  certs
    .command('unblacklist <serial>')
    .description('remove a certificate from the blacklist')
    .option(...dataDirOption)
    .action((text: string, flags: { dataDir?: string }) =>
      withStore(flags.dataDir, async (store) => {
        const serial = parseSerial(text);
        await store.removeBlacklist([serial]);
        process.stdout.write(`serial ${serial} is no longer blacklisted\n`);
      }),
    );
}

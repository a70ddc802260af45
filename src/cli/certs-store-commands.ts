/** `certs list`, `certs blacklist`, `certs unblacklist`: the issuance history and the blacklist in the store. */
import { Command } from 'commander';
import { InvalidArgument } from '../errors';
import { checkId } from '../pki/ids';
import { isoFromSeconds, printJson, printTable } from './output';
import { withCore } from './with-core';

const dataDirOption = ['--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)'] as const;
const day = (unixSeconds: number) => isoFromSeconds(unixSeconds).slice(0, 10);

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
      withCore(flags.dataDir, async (core) => {
        const rows = await (await core.admin()).certificates.list({ tenantId: flags.tenant, gatewayId: flags.gateway });
        if (flags.json) printJson(rows.map((r) => ({ ...r, issuedAt: isoFromSeconds(r.issuedAt), expiresAt: isoFromSeconds(r.expiresAt) })));
        else
          printTable(
            rows.map((r) => ({
              serial: r.serial.toString(),
              kind: r.kind,
              tenant: r.tenantId ?? '-',
              gateway: r.gatewayId ?? '-',
              issued: day(r.issuedAt),
              expires: day(r.expiresAt),
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
      withCore(flags.dataDir, async (core) => {
        const serial = parseSerial(text);
        const named = flags.tenant ? { tenantId: checkId(flags.tenant, '--tenant'), gatewayId: flags.gateway ? checkId(flags.gateway, '--gateway') : null } : undefined;
        const { certificates } = await core.admin();
        // The core says that an owner is missing; the CLI names the flag that gives it.
        const { tenantId, gatewayId } = await certificates.blacklistSerial(serial, named).catch((err: { code?: string; message: string }) => {
          throw !named && err.code === 'ERR_INVALID_ARGUMENT' ? new InvalidArgument(`${err.message} with --tenant`) : err;
        });
        process.stdout.write(`blacklisted serial ${serial} (tenant ${tenantId}${gatewayId ? `, gateway ${gatewayId}` : ''})\n`);
      }),
    );

  certs
    .command('unblacklist <serial>')
    .description('remove a certificate from the blacklist')
    .option(...dataDirOption)
    .action((text: string, flags: { dataDir?: string }) =>
      withCore(flags.dataDir, async (core) => {
        const serial = parseSerial(text);
        await (await core.admin()).certificates.unblacklistSerial(serial);
        process.stdout.write(`serial ${serial} is no longer blacklisted\n`);
      }),
    );
}

/**
 * `certs server`: issue or renew the server certificate (server.crt / server_key.pem) from the CA
 * already in the directory. A running gateway picks the new pair up by itself (it watches the
 * directory; SIGHUP does the same at once) without dropping a connection.
 */
import { Command, Option } from 'commander';
import { readAuthority } from '../pki/cert-dir';
import { fingerprintHex } from '../pki/authority';
import { KeyType } from '../pki/keys';
import { MAX_YEARS } from '../pki/profile';
import { issueServerCertificate } from '../pki/server-certificate';
import { collect, isoFromSeconds } from './output';
import { withCore } from './with-core';

interface ServerFlags {
  out: string;
  caDir?: string;
  dns: string[];
  ip: string[];
  days?: string;
  key: KeyType;
  dataDir?: string;
}

const MAX_DAYS = MAX_YEARS * 366;

function parseDays(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw new Error(`--days must be an integer from 1 to ${MAX_DAYS}`);
  return days;
}

export function addCertsServerCommand(certs: Command): void {
  certs
    .command('server')
    .description('issue or renew the server certificate (server.crt, server_key.pem) from the existing CA; never makes a CA')
    .requiredOption('--out <dir>', 'directory to write server.crt and server_key.pem to (a running gateway\'s certificate directory)')
    .option('--ca-dir <dir>', 'directory holding ca.crt and ca_key.pem (default: --out)')
    .option('--dns <name>', 'DNS name clients dial (repeatable; localhost and the names of the certificate replaced are kept)', collect, [])
    .option('--ip <addr>', 'IP address clients dial (repeatable; 127.0.0.1 and ::1 are always included)', collect, [])
    .option('--days <n>', `validity in days (default ${5 * 365}: five years; never beyond the CA's own end)`)
    .addOption(new Option('--key <type>', 'key type').choices(['rsa', 'ec']).default('rsa'))
    .option('--data-dir <dir>', 'store that records the issuance (default: GATEWAY_DATA_DIR or ./data)')
    .action(async (flags: ServerFlags) => {
      const days = parseDays(flags.days);
      // Read before the store is opened and before anything is written: no CA, no certificate.
      const ca = readAuthority(flags.caDir ?? flags.out);
      await withCore(flags.dataDir, async ({ store, record: audit }) => {
        const result = issueServerCertificate(ca, flags.out, { names: [...flags.dns, ...flags.ip], days, keyType: flags.key });
        const { record } = result.issued;
        // Recorded in the audit as the operator's issuance, as the other certs commands are.
        await audit('certificate_issue', [record.tenantId], `serial ${record.serial} ${record.kind}`, () => store.recordCertificate(record));
        process.stdout.write(`issued server certificate, serial ${record.serial}, sha256 ${fingerprintHex(result.issued.cert)}, expires ${isoFromSeconds(record.expiresAt)}\n`);
        process.stdout.write(`names ${result.names.join(', ')}\n`);
        if (result.endsWithCa) process.stdout.write(`note: the CA expires ${new Date(ca.cert.validTo).toISOString()}; the certificate ends with it\n`);
        for (const f of result.files) process.stdout.write(`wrote ${f}\n`);
        process.stdout.write('a running gateway serves it to new connections within a second (or at once on SIGHUP)\n');
      });
    });
}

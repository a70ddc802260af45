import { Command, Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '../config';
import { Issued, issueLeaf, ValidityOptions } from '../pki/authority';
import { gatewayBase, initPki, pairFiles, readAuthority, tenantBase, writePairs, CA_BASE, ADMIN_BASE } from '../pki/cert-dir';
import { parseCaBundle } from '../pki/ca-bundle';
import { describeCertificate } from '../pki/describe-certificate';
import { checkId } from '../pki/ids';
import { KeyType } from '../pki/keys';
import { ADMIN_TENANT, CertIdentity, MAX_YEARS, PkiName } from '../pki/profile';
import { addCertsServerCommand } from './certs-server-command';
import { addCertsStoreCommands } from './certs-store-commands';
import { collect, isoFromSeconds, printJson } from './output';
import { readCertificateFile } from './read-certificate-file';
import { withCore } from './with-core';

interface IssueFlags {
  out: string;
  caDir?: string;
  years?: string;
  key: KeyType;
  force?: boolean;
  dataDir?: string;
  country?: string;
  province?: string;
  city?: string;
  org?: string;
  unit?: string;
  cn?: string;
}

function issueOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--out <dir>', 'directory to write the certificate and key to')
    .option('--years <n>', `validity in years (1–${MAX_YEARS})`)
    .addOption(new Option('--key <type>', 'key type').choices(['rsa', 'ec']).default('rsa'))
    .option('--force', 'overwrite existing files')
    .option('--data-dir <dir>', 'store that records the issuance (default: GATEWAY_DATA_DIR or ./data)')
    .option('--country <C>', 'subject country (2-letter ISO 3166 code)')
    .option('--province <ST>', 'subject state or province')
    .option('--city <L>', 'subject city')
    .option('--org <O>', 'subject organization')
    .option('--unit <OU>', 'subject organizational unit')
    .option('--cn <CN>', 'subject common name');
}

function validityOf(flags: IssueFlags): ValidityOptions {
  const subject: Partial<PkiName> = {
    country: flags.country ?? '',
    province: flags.province ?? '',
    city: flags.city ?? '',
    organization: flags.org ?? '',
    organizationUnit: flags.unit ?? '',
    commonName: flags.cn ?? '',
  };
  if (subject.country && !/^[A-Za-z]{2}$/.test(subject.country)) throw new Error('--country must be a 2-letter ISO 3166 code');
  let years: number | undefined;
  if (flags.years !== undefined) {
    years = Number(flags.years);
    if (!Number.isInteger(years) || years < 1 || years > MAX_YEARS) throw new Error(`--years must be an integer from 1 to ${MAX_YEARS}`);
  }
  return { years, keyType: flags.key, subject };
}

/**
 * Opens the store that records the issuance first, so a missing one stops the command before any
 * file is written; then issues, writes and records. `create`: only `certs init`, which starts a
 * deployment, may make the database.
 */
async function issueRecorded(flags: IssueFlags, create: boolean, issue: () => { files: string[]; issued: Issued[] }): Promise<void> {
  await withCore(
    flags.dataDir,
    async ({ store, record }) => {
      const { files, issued } = issue();
      for (const i of issued) {
        // Recorded in the audit as the operator's issuance (certs init's CA and server certificate too).
        await record('certificate_issue', [i.record.tenantId], `serial ${i.record.serial} ${i.record.kind}${i.record.gatewayId ? ` gateway ${i.record.gatewayId}` : ''}`, () => store.recordCertificate(i.record));
      }
      for (const i of issued) process.stdout.write(`issued ${i.record.kind} certificate, serial ${i.record.serial}, expires ${isoFromSeconds(i.record.expiresAt)}\n`);
      for (const f of files) process.stdout.write(`wrote ${f}\n`);
    },
    { create },
  );
}

async function issueClient(flags: IssueFlags, base: string, identity: CertIdentity): Promise<void> {
  const ca = readAuthority(flags.caDir ?? flags.out);
  const validity = validityOf(flags);
  await issueRecorded(flags, false, () => {
    const issued = issueLeaf(ca, { kind: identity.kind, identity }, validity);
    return { files: writePairs(flags.out, [{ base, issued }], flags.force ?? false), issued: [issued] };
  });
}

export function certsCommand(): Command {
  const certs = new Command('certs').description('issue and inspect the certificates of the gateway');

  issueOptions(certs.command('init'))
    .description('create the CA, the server certificate and the administrator certificate (ca.crt, server.crt, admin.crt)')
    .option('--dns <name>', 'extra DNS name clients dial (repeatable; localhost is always included)', collect, [])
    .option('--ip <addr>', 'extra IP address clients dial (repeatable; 127.0.0.1 and ::1 are always included)', collect, [])
    .action(async (flags: IssueFlags & { dns: string[]; ip: string[] }) => {
      const validity = validityOf(flags);
      await issueRecorded(flags, true, () => {
        const { ca, server, admin } = initPki(flags.out, { ...validity, names: [...flags.dns, ...flags.ip], force: flags.force });
        return { files: [CA_BASE, 'server', ADMIN_BASE].flatMap((b) => Object.values(pairFiles(flags.out, b))), issued: [ca, server, admin] };
      });
      process.stdout.write(`clients trust ${pairFiles(flags.out, CA_BASE).cert}; keep ${pairFiles(flags.out, CA_BASE).key} private\n`);
    });

  issueOptions(certs.command('admin'))
    .description('issue another administrator certificate (admin.crt) from an existing CA')
    .option('--ca-dir <dir>', 'directory holding ca.crt and ca_key.pem (default: --out)')
    .action((flags: IssueFlags) => issueClient(flags, ADMIN_BASE, { kind: 'admin', tenantId: ADMIN_TENANT }));

  issueOptions(certs.command('tenant <tenantId>'))
    .description('issue a tenant certificate (tenant_<ID>.crt)')
    .option('--ca-dir <dir>', 'directory holding ca.crt and ca_key.pem (default: --out)')
    .action((tenantId: string, flags: IssueFlags) => {
      checkId(tenantId, 'TENANT_ID');
      if (tenantId === ADMIN_TENANT) throw new Error('use "certs admin" for the administrator certificate');
      return issueClient(flags, tenantBase(tenantId), { kind: 'tenant', tenantId });
    });

  issueOptions(certs.command('gateway <tenantId> <gatewayId>'))
    .description('issue a device gateway certificate (gateway_<ID>.crt)')
    .option('--ca-dir <dir>', 'directory holding ca.crt and ca_key.pem (default: --out)')
    .action((tenantId: string, gatewayId: string, flags: IssueFlags) =>
      issueClient(flags, gatewayBase(checkId(gatewayId, 'GATEWAY_ID')), { kind: 'gateway', tenantId: checkId(tenantId, 'TENANT_ID'), gatewayId }),
    );

  certs
    .command('show <file>')
    .description('print what a certificate is and what the gateway would object to (exit 1 if anything)')
    .option('--ca <file>', 'the CA to check against (default: ca.crt beside the file, else in GATEWAY_CERT_DIR)')
    .option('--name <host>', 'a host name or IP a server certificate must cover (repeatable)', collect, [])
    .option('--json', 'machine-readable output')
    .action((file: string, flags: { ca?: string; name: string[]; json?: boolean }) => {
      const cert = readCertificateFile(file);
      const caFile = flags.ca ?? [join(dirname(file), 'ca.crt'), pairFiles(loadConfig().certDir, CA_BASE).cert].find((f) => existsSync(f));
      // The first certificate read for a worded error on a wrong file; every CA of a rollover bundle then.
      const ca = caFile ? (readCertificateFile(caFile), parseCaBundle(readFileSync(caFile, 'utf8'))) : undefined;
      const d = describeCertificate(cert, { ca, expectNames: flags.name.length ? flags.name : undefined });
      if (flags.json) printJson({ ...d, checkedAgainst: caFile ?? null });
      else {
        const lines = [
          ['kind', d.kind],
          ['tenant', d.tenantId ?? '-'],
          ['gateway', d.gatewayId ?? '-'],
          ['serial', `${d.serial} (0x${d.serialHex})`],
          ['subject', d.subject || '(empty)'],
          ['issuer', d.issuer],
          ['valid', `${d.notBefore} → ${d.notAfter} (${d.daysLeft < 0 ? 'expired' : `${d.daysLeft} days left`})`],
          ['sha256', d.fingerprint],
          ['names', d.names.join(', ') || '-'],
          ['CA', caFile ?? '(none found; chain not checked)'],
        ];
        for (const [k, v] of lines) process.stdout.write(`${k.padEnd(8)} ${v}\n`);
        process.stdout.write(d.problems.length ? d.problems.map((p) => `PROBLEM  ${p}\n`).join('') : 'OK       the gateway would accept this certificate\n');
        process.stdout.write(d.warnings.map((w) => `WARNING  ${w}\n`).join(''));
      }
      if (d.problems.length) process.exitCode = 1;
    });

  addCertsServerCommand(certs);
  addCertsStoreCommands(certs);
  return certs;
}

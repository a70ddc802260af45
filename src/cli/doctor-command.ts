/** `doctor`: checks a deployment and prints what would fix it; it changes nothing. */
import { Command } from 'commander';
import { Finding } from './doctor/finding';
import { runDoctor } from './doctor/run-doctor';
import { printJson } from './output';

function print(findings: Finding[]): void {
  const width = Math.max(...findings.map((f) => f.area.length));
  for (const f of findings) {
    process.stdout.write(`${(f.ok ? 'OK' : 'PROBLEM').padEnd(8)} ${f.area.padEnd(width)}  ${f.subject}: ${f.detail}\n`);
    if (f.fix) process.stdout.write(`${''.padEnd(8)} ${'fix'.padEnd(width)}  ${f.fix}\n`);
  }
  const problems = findings.filter((f) => !f.ok).length;
  process.stdout.write(problems ? `${problems} problem${problems === 1 ? '' : 's'}; doctor changed nothing\n` : 'all well\n');
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check a deployment (configuration, file permissions, certificates, store, ports) and print what would fix it; changes nothing (exit 1 if anything is wrong)')
    .option('--config <file>', 'JSON config file (same as GATEWAY_CONFIG)')
    .option('--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { config?: string; dataDir?: string; json?: boolean }) => {
      const env = flags.config ? { ...process.env, GATEWAY_CONFIG: flags.config } : process.env;
      const findings = await runDoctor(env, flags.dataDir ? { dataDir: flags.dataDir } : {});
      const ok = findings.every((f) => f.ok);
      if (flags.json) printJson({ ok, findings });
      else print(findings);
      if (!ok) process.exitCode = 1;
    });
}

/** `master-gateway`: serve, certificate tooling and store administration. */
import { Command, CommanderError } from 'commander';
import { GatewayError } from '../errors';
import { auditCommand } from './audit-command';
import { certsCommand } from './certs-command';
import { doctorCommand } from './doctor-command';
import { gatewayCommand } from './gateway-command';
import { keysCommand } from './keys-command';
import { roleCommand } from './role-command';
import { serveCommand } from './serve-command';
import { storeCommand } from './store-command';
import { userCommand } from './user-command';
import { tenantCommand } from './tenant-command';
import { VERSION } from '../version';

export function buildProgram(): Command {
  const program = new Command('master-gateway')
    .description('Open multi-tenant authentication gateway for device fleets (G-SDK master gateway compatible)')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(serveCommand());
  program.addCommand(certsCommand());
  program.addCommand(tenantCommand());
  program.addCommand(gatewayCommand());
  program.addCommand(userCommand());
  program.addCommand(roleCommand());
  program.addCommand(keysCommand());
  program.addCommand(storeCommand());
  program.addCommand(doctorCommand());
  program.addCommand(auditCommand());
  // Commands made with `new Command` inherit nothing from their parent: each reports its usage errors to main().
  for (const cmd of descendants(program)) cmd.exitOverride().showHelpAfterError(`(see ${commandPath(cmd)} --help)`);
  return program;
}

const descendants = (cmd: Command): Command[] => cmd.commands.flatMap((c) => [c, ...descendants(c)]);
const commandPath = (cmd: Command): string => (cmd.parent ? `${commandPath(cmd.parent)} ${cmd.name()}` : cmd.name());

/** Problems of the configuration or the machine that the operator must fix before a start can work. */
const EXIT_2 = new Set<string>(['ERR_CONFIG_INVALID', 'ERR_NOT_INITIALIZED', 'ERR_INSECURE_PERMISSIONS', 'ERR_SECRET_MISSING', 'ERR_SECRET_INVALID']);

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed it. --help and --version end with 0; anything else is a command line that does not
      // parse (unknown option or command, missing or bad argument): a usage error, 2 as in getopt tools.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    let message = err instanceof GatewayError || err instanceof Error ? err.message : String(err);
    // The operator, unlike a client, may see where the database is (the cause names it, never its password).
    if (err instanceof GatewayError && err.code === 'ERR_STORE_UNAVAILABLE' && err.cause instanceof Error) message += ` (${err.cause.message})`;
    // The stable code lets a script tell failures apart without reading the words.
    process.stderr.write(`error: ${message}${err instanceof GatewayError ? ` (${err.code})` : ''}\n`);
    // 2: the operator must fix the command line or the configuration, or set something up first; 1: the command failed.
    process.exitCode = err instanceof GatewayError && EXIT_2.has(err.code) ? 2 : 1;
  }
}

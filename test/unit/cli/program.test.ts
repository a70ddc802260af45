/** The command tree as commander holds it: what `--help` shows an operator. */
import { Command } from 'commander';
import { buildProgram } from '../../../src/cli/main';

const all = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(all)];
const path = (cmd: Command): string => (cmd.parent ? `${path(cmd.parent)} ${cmd.name()}` : cmd.name());

it('every command and subcommand has a description', () => {
  const undescribed = all(buildProgram()).filter((c) => c.description().trim() === '').map(path);
  expect(undescribed).toEqual([]);
});

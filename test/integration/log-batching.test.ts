/**
 * The log's stdout (src/logger.ts, built into dist/) gathers lines into batches of LOG_BATCH_BYTES:
 * a lone line below the batch size still goes out while the process lives on (the periodic flush), and
 * what waits at exit is written before the process ends. A real child process writes into a real pipe.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const LOGGER = join(__dirname, '..', '..', 'dist', 'logger.js');

function child(code: string) {
  const proc = spawn(process.execPath, ['-e', `const { createLogger } = require(${JSON.stringify(LOGGER)});\nconst log = createLogger('info');\n${code}`], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { proc, lines };
}

it('writes a lone line, far below a batch, while the process stays idle', async () => {
  // Lives until the test closes its stdin: only the periodic flush can bring the line out.
  const c = child(`log.info({ n: 1 }, 'lone line');\nprocess.stdin.on('end', () => process.exit(0)).resume();`);
  await new Promise<void>((resolve) => c.proc.stdout.on('data', () => c.lines().some((l) => l.msg === 'lone line') && resolve()));
  expect(c.lines()).toEqual([expect.objectContaining({ msg: 'lone line', n: 1 })]);
  c.proc.stdin.end();
  await new Promise((resolve) => c.proc.on('exit', resolve));
});

it('writes the lines still waiting when the process exits', async () => {
  const c = child(`for (let i = 0; i < 5; i++) log.info({ i }, 'at exit');\nprocess.exit(3);`);
  // 'close': the process ended and its stdout was read to the end.
  const code = await new Promise((resolve) => c.proc.on('close', resolve));
  expect(code).toBe(3);
  expect(c.lines().map((l) => l.i)).toEqual([0, 1, 2, 3, 4]);
});

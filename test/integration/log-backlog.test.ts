/**
 * The log's stdout (src/logger.ts, built into dist/): a reader that stops reading does not stall the
 * process or fill its memory; lines beyond the bound are dropped whole, counted, and the count is
 * logged once the reader catches up. A real child process writes into a real pipe this test holds shut.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const LOGGER = join(__dirname, '..', '..', 'dist', 'logger.js');
/** ~1 KiB a line: 24 MiB in all, past the 16 MiB bound whatever the pipe holds. */
const LINES = 24_000;

const CHILD = `
const { createLogger } = require(${JSON.stringify(LOGGER)});
const log = createLogger('info');
const pad = 'x'.repeat(1000);
for (let i = 0; i < ${LINES}; i++) log.info({ i, pad }, 'line');
// The event loop was never held: tell the test, then live until it closes stdin.
process.stderr.write('logged\\n');
process.stdin.on('end', () => process.exit(0)).resume();
`;

it('drops whole lines past the bound while stdout is not read, and says how many once it is', async () => {
  const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
  // Nothing reads stdout until the child has logged every line.
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => (d.toString().includes('logged') ? resolve() : reject(new Error(d.toString()))));
    child.on('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
  let text = '';
  const lines: Record<string, unknown>[] = [];
  const dropped = await new Promise<number>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      const complete = text.split('\n');
      text = complete.pop() ?? '';
      for (const l of complete) {
        const line = JSON.parse(l) as Record<string, unknown>;
        lines.push(line);
        if (line.msg === 'log lines dropped: stdout did not keep up') resolve(line.droppedLines as number);
      }
    });
  });
  child.stdin.end();
  await new Promise((resolve) => child.on('exit', resolve));

  const kept = lines.filter((l) => l.msg === 'line');
  expect(dropped).toBeGreaterThan(0);
  expect(kept.length + dropped).toBe(LINES);
  // The lines that got through are whole and in order.
  const order = kept.map((l) => l.i as number);
  expect(order).toEqual([...order].sort((a, b) => a - b));
  expect(lines.find((l) => l.msg === 'log lines dropped: stdout did not keep up')).toMatchObject({ level: 40, service: 'master-gateway' });
});

/** Passwords come from stdin or a prompt, never from argv (where `ps` and shell history would see them). */
import { createInterface } from 'node:readline';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function prompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    // Echo nothing of what is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) process.stderr.write(question);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

export async function readPassword(what = 'Password'): Promise<string> {
  if (!process.stdin.isTTY) return readStdin();
  const first = await prompt(`${what}: `);
  const second = await prompt(`${what} (again): `);
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}

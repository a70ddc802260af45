import { PassThrough } from 'node:stream';
import { confirm } from '../../../src/cli/confirm';

const ask = async (typed: string | null) => {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (c: Buffer) => (shown += c.toString()));
  const answer = confirm('Delete tenant acme?', input, output);
  if (typed === null) input.end();
  else input.write(typed);
  return { answer: await answer, shown };
};

it('only y or yes (any case) is yes; anything else, an empty line or the end of input is no', async () => {
  for (const typed of ['y\n', 'yes\n', 'YES\n', ' Y \n']) expect((await ask(typed)).answer).toBe(true);
  for (const typed of ['n\n', '\n', 'yep\n', 'acme\n', null]) expect((await ask(typed)).answer).toBe(false);
  expect((await ask('n\n')).shown).toBe('Delete tenant acme? [y/N] ');
});

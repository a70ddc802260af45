/** Polls the gRPC health service until it reports `wanted` (about 5 s at most); answers the last status seen. */
import { makeClient, unary } from './clients';

export async function healthBecomes(client: ReturnType<typeof makeClient>, wanted: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 50 && last !== wanted; i++) {
    last = (await unary<{ status: string }>(client, 'Check', { service: '' })).status;
    if (last !== wanted) await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

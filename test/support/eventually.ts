/**
 * Polls `check` until it holds. For what another instance learns from the shared store's change feed
 * (a poll, 500 ms by default): the tests assert that it happens, not how fast. The limit only stops a
 * test that would otherwise wait for ever, and is generous so an overloaded machine does not fail it.
 */
export async function eventually(check: () => Promise<boolean>, limitMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > limitMs) throw new Error(`condition still false after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

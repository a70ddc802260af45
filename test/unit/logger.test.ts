import { Writable } from 'node:stream';
import { createLogger, REDACTED } from '../../src/logger';

/** A logger writing into an array of parsed lines. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('info', new Writable({ write: (c: Buffer, _e, done) => (lines.push(JSON.parse(c.toString())), done()) }));
  return { log, lines };
}

describe('createLogger redaction', () => {
  it('censors secret fields at the top of a line', () => {
    const { log, lines } = capture();
    log.info({ token: 't', jwtToken: 'j', password: 'p', privateKey: 'k', user: 'alice' }, 'x');
    expect(lines[0]).toMatchObject({ token: REDACTED, jwtToken: REDACTED, password: REDACTED, privateKey: REDACTED, user: 'alice' });
  });

  it('censors token, password and privateKey one level down, without changing the logged object', () => {
    const { log, lines } = capture();
    const body = { password: 'p', username: 'alice' };
    log.info({ body, other: { token: 't', privateKey: 'k', n: 1 }, deeper: { a: { token: 'two levels down' } } }, 'x');
    expect(lines[0]).toMatchObject({ body: { password: REDACTED, username: 'alice' }, other: { token: REDACTED, privateKey: REDACTED, n: 1 }, deeper: { a: { token: 'two levels down' } } });
    expect(body.password).toBe('p');
  });

  it("censors an error's secret fields after its serializer, keeping message and stack", () => {
    const { log, lines } = capture();
    const err = Object.assign(new Error('boom'), { token: 't', code: 'X' });
    log.error({ err }, 'failed');
    log.error(err, 'failed');
    for (const line of lines) {
      expect(line.err).toMatchObject({ type: 'Error', message: 'boom', token: REDACTED, code: 'X' });
      expect((line.err as { stack: string }).stack).toContain('boom');
    }
    expect(err.token).toBe('t');
  });

  it("censors a child's bindings, and a grandchild's", () => {
    const { log, lines } = capture();
    const child = log.child({ token: 't', ctx: { password: 'p', a: 1 } });
    child.info('one');
    child.child({ more: { token: 't' } }).info('two');
    expect(lines[0]).toMatchObject({ token: REDACTED, ctx: { password: REDACTED, a: 1 } });
    expect(lines[1]).toMatchObject({ more: { token: REDACTED } });
  });

  it('writes lines without secrets as given', () => {
    const { log, lines } = capture();
    log.info({ audit: 'refresh', outcome: 'success', user: 'alice', detail: null, n: 3 }, 'audit refresh success');
    expect(lines[0]).toMatchObject({ level: 30, service: 'master-gateway', audit: 'refresh', outcome: 'success', user: 'alice', detail: null, n: 3, msg: 'audit refresh success' });
  });
});

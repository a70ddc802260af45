import pino, { DestinationStream, Logger } from 'pino';

/** Log bytes waiting for stdout beyond this are dropped, not held: a reader that stalls must not stall the gateway or fill its memory. */
export const LOG_BUFFER_BYTES = 16 * 1024 * 1024;

export const REDACTED = '[redacted]';
/** Fields that never reach the log: at the top of a line, or one level down (`{ body: { password } }`). */
const SECRET_FIELDS = ['token', 'jwtToken', 'password', 'privateKey'] as const;
/** One level down: the names pino's `*.name` paths used to censor. */
const NESTED_SECRET_FIELDS = ['token', 'password', 'privateKey'] as const;

const has = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** `value` with its secret fields censored (a copy), or `value` itself when it has none. */
function censorFields(value: Record<string, unknown>): Record<string, unknown> {
  let out = value;
  for (const name of NESTED_SECRET_FIELDS) {
    if (!has(value, name)) continue;
    if (out === value) out = { ...value };
    out[name] = REDACTED;
  }
  return out;
}

/**
 * The one-level-down half of the redaction, done here rather than by pino's `*.name` paths: those
 * run pino's general redactor over every field of every line (a few µs a line, more than writing
 * it), where this looks only at fields holding an object. The line's object is copied, never changed.
 * `err` is censored after its serializer (an Error's fields are only known then).
 */
function censorNested(fields: Record<string, unknown>): Record<string, unknown> {
  let out = fields;
  for (const key in fields) {
    const value = fields[key];
    if (key === 'err' || value === null || typeof value !== 'object' || !has(fields, key)) continue;
    const censored = censorFields(value as Record<string, unknown>);
    if (censored === value) continue;
    if (out === fields) out = { ...fields };
    out[key] = censored;
  }
  return out;
}

const serializeError = (err: Error) => {
  const serialized = pino.stdSerializers.err(err);
  return serialized !== null && typeof serialized === 'object' ? censorFields(serialized as unknown as Record<string, unknown>) : serialized;
};

/**
 * The root logger. Serializers are allow-lists: certificates appear as serial and fingerprint only.
 * Secret fields (SECRET_FIELDS at the top of a line or of a child's bindings, NESTED_SECRET_FIELDS
 * one level down) are written as REDACTED.
 *
 * Without a destination it writes stdout off the event loop (pino's default, made explicit): lines
 * gather while a write is in flight and go out together. pino writes what is buffered synchronously
 * when the process exits (process.exit, an uncaught exception, a signal the gateway handles); only
 * an end no handler sees (SIGKILL, a crash of the runtime) loses the lines still buffered. A
 * synchronous write per line would block the event loop whenever the disk or the log reader is
 * slow. Beyond LOG_BUFFER_BYTES waiting, lines are dropped, and how many is logged once stdout has
 * caught up.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const stdout = destination ? undefined : pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_BYTES });
  const log = pino(
    {
      level,
      base: { service: 'master-gateway', pid: process.pid },
      serializers: { err: serializeError },
      // Top-level names: pino censors them by key, costing nothing on other fields.
      redact: { paths: [...SECRET_FIELDS], censor: REDACTED },
      formatters: { log: censorNested, bindings: censorNested },
    },
    destination ?? stdout,
  );
  // pino applies the bindings formatter to `base` only; a child's bindings are censored here (children
  // inherit this method from their parent, so grandchildren's too).
  type Child = (this: Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => Logger;
  const child = log.child as unknown as Child;
  const censoredChild: Child = function (bindings, options) {
    return child.call(this, censorNested(bindings), options);
  };
  log.child = censoredChild as unknown as Logger['child'];
  if (stdout) {
    let dropped = 0;
    stdout.on('drop', (lines: string) => void (dropped += lines.split('\n').length - 1));
    stdout.on('drain', () => {
      if (dropped === 0) return;
      log.warn({ droppedLines: dropped }, 'log lines dropped: stdout did not keep up');
      dropped = 0;
    });
  }
  return log;
}

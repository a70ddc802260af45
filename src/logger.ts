import pino, { DestinationStream, Logger } from 'pino';

/** Log bytes waiting for stdout beyond this are dropped, not held: a reader that stalls must not stall the gateway or fill its memory. */
export const LOG_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * The root logger. Serializers are allow-lists: certificates appear as serial and fingerprint only.
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
      serializers: { err: pino.stdSerializers.err },
      redact: { paths: ['token', 'jwtToken', 'password', '*.token', '*.password', 'privateKey', '*.privateKey'], censor: '[redacted]' },
    },
    destination ?? stdout,
  );
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

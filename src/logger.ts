import pino, { DestinationStream, Logger } from 'pino';

/** The root logger. Serializers are allow-lists: certificates appear as serial and fingerprint only. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'master-gateway', pid: process.pid },
      serializers: { err: pino.stdSerializers.err },
      redact: { paths: ['token', 'jwtToken', 'password', '*.token', '*.password', 'privateKey', '*.privateKey'], censor: '[redacted]' },
    },
    destination,
  );
}

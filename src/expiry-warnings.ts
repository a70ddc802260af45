/**
 * Warns (log, warn) at start, after every reload and once a day while the server certificate, a CA
 * of ca.crt or the HTTPS bridge's own certificate expires within 30 days, so the renewal is done
 * before clients start failing. Time comes from the injected clock.
 */
import { X509Certificate } from 'node:crypto';
import { Logger } from 'pino';
import { Clock } from './core/clock';
import { WarningCode } from './errors';
import { daysLeft, EXPIRY_WARNING_DAYS, expiresSoon } from './pki/expiry';
import { serialOf } from './pki/read-certificate';

/** The log line's stable code. */
export const CERT_EXPIRES_SOON = 'CERT_EXPIRES_SOON' satisfies WarningCode;
const DAY_MS = 86_400_000;

export interface WatchedCertificate {
  role: 'server' | 'ca' | 'https';
  file: string;
  cert: X509Certificate;
}

export interface ExpiryWarnings {
  /** Checks now; returns what expires soon. */
  check(): WatchedCertificate[];
  close(): void;
}

const HOW_TO_RENEW: Record<WatchedCertificate['role'], string> = {
  server: 'renew it with "master-gateway certs server"; the running gateway picks it up',
  ca: 'roll the CA over: put a new CA beside it in ca.crt, then issue new certificates from it',
  https: 'renew the certificate named by GATEWAY_HTTP_CERT; the running gateway picks it up',
};

export function createExpiryWarnings(certificates: () => WatchedCertificate[], clock: Clock, log: Logger): ExpiryWarnings {
  function check(): WatchedCertificate[] {
    const now = clock();
    const soon = certificates().filter((c) => expiresSoon(c.cert, now));
    for (const c of soon) {
      const days = daysLeft(c.cert, now);
      log.warn(
        { code: CERT_EXPIRES_SOON, role: c.role, file: c.file, serial: serialOf(c.cert).toString(), notAfter: new Date(c.cert.validTo).toISOString(), daysLeft: days },
        `${c.role === 'ca' ? 'a CA certificate' : `the ${c.role} certificate`} expires in ${days} days (warned from ${EXPIRY_WARNING_DAYS}): ${HOW_TO_RENEW[c.role]}`,
      );
    }
    return soon;
  }
  const daily = setInterval(check, DAY_MS);
  daily.unref();
  return { check, close: () => clearInterval(daily) };
}

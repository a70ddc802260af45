/** How far ahead an expiry is announced: by the running gateway's log and by `certs show`. */
import { X509Certificate } from 'node:crypto';

export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

/** Whole days until the certificate expires (negative once it has). */
export function daysLeft(cert: Pick<X509Certificate, 'validTo'>, now: number): number {
  return Math.floor((Date.parse(cert.validTo) - now) / DAY_MS);
}

/** True when it expires within EXPIRY_WARNING_DAYS (and has not yet). */
export function expiresSoon(cert: Pick<X509Certificate, 'validTo'>, now: number): boolean {
  const left = Date.parse(cert.validTo) - now;
  return left >= 0 && left < EXPIRY_WARNING_DAYS * DAY_MS;
}

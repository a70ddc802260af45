/**
 * Failed requests per client address, counted in memory before anything else is done for them. The
 * lockout (lockout.ts) counts credential failures in the store; this counts every refused request
 * (unreadable bodies, bad mobile JWTs, unknown challenge sessions, unknown routes, lockout refusals),
 * so one address sending junk is refused at once, with no store write, audit row or log line per
 * request: 91,000 junk requests in 20 s from one address made as many audit rows and warn lines.
 * The log gets one line when an address starts being refused and one when it stops, with the count.
 */
import { Logger } from 'pino';
import { Clock } from '../clock';
import { createTokenBuckets } from '../token-buckets';

export const DEFAULT_FAILURES_PER_MINUTE = 60;
/** Addresses remembered at once (the least recently failing go first). */
const MAX_ADDRESSES = 65_536;

export interface AddressLimiter {
  /** 0 if a request from the address may go ahead, else the seconds it must wait (it is refused). */
  refuse(address: string): number;
  /** A request from the address failed. */
  failed(address: string): void;
}

export function createAddressLimiter(clock: Clock, log: Logger, perMinute = DEFAULT_FAILURES_PER_MINUTE): AddressLimiter {
  const buckets = createTokenBuckets({ capacity: perMinute, periodMs: 60_000, clock, maxKeys: MAX_ADDRESSES });
  // Addresses being refused → how many of their requests were, for the one line when they stop.
  const refusing = new Map<string, number>();

  return {
    refuse(address) {
      const waitMs = buckets.wait(address);
      const refused = refusing.get(address);
      if (waitMs === 0) {
        if (refused !== undefined) {
          refusing.delete(address);
          log.info({ address, refused }, 'client address no longer refused');
        }
        return 0;
      }
      if (refused === undefined) {
        if (refusing.size >= MAX_ADDRESSES) refusing.delete(refusing.keys().next().value as string);
        log.warn({ address, perMinute }, 'refusing a client address: too many failed requests');
      }
      refusing.set(address, (refused ?? 0) + 1);
      return Math.ceil(waitMs / 1000);
    },
    failed: (address) => buckets.drain(address),
  };
}

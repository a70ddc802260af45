/**
 * Failed requests per client address, counted in memory before anything else is done for them. The
 * lockout (lockout.ts) counts credential failures in the store; this counts every refused request
 * (unreadable bodies, bad mobile JWTs, unknown challenge sessions, unknown routes, lockout refusals),
 * so one address sending junk is refused at once, with no store write, audit row or log line per
 * request: 91,000 junk requests in 20 s from one address made as many audit rows and warn lines.
 * The log gets one line when an address starts being refused and one when it stops, with the count.
 */
import { isIPv6 } from 'node:net';
import { Logger } from 'pino';
import { Clock } from '../clock';
import { createTokenBuckets } from '../token-buckets';

export const DEFAULT_FAILURES_PER_MINUTE = 60;
/** Addresses remembered at once (the least recently failing go first). */
const MAX_ADDRESSES = 65_536;

/**
 * The key an address is counted under: an IPv6 address by its /64 (one host is usually given a whole
 * /64, so counting single addresses would let it send from 2^64 of them); anything else as it is.
 */
export function addressKey(address: string): string {
  const plain = address.split('%')[0];
  if (!isIPv6(plain) || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(plain)) return address;
  const [head, tail = ''] = plain.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = plain.includes('::') && tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export interface AddressLimiter {
  /** 0 if a request from the address (an IPv6 one: its /64) may go ahead, else the seconds it must wait (it is refused). */
  refuse(address: string): number;
  /** A request from the address failed. */
  failed(address: string): void;
}

export function createAddressLimiter(clock: Clock, log: Logger, perMinute = DEFAULT_FAILURES_PER_MINUTE): AddressLimiter {
  const buckets = createTokenBuckets({ capacity: perMinute, periodMs: 60_000, clock, maxKeys: MAX_ADDRESSES });
  // Addresses being refused → how many of their requests were, for the one line when they stop.
  const refusing = new Map<string, number>();

  return {
    refuse(client) {
      const address = addressKey(client);
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
    failed: (client) => buckets.drain(addressKey(client)),
  };
}

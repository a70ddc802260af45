/**
 * Wires the per-address failure limit (core/identity/address-limiter) into the HTTP door: a request
 * from an address that used up its failures is answered 429 with Retry-After at once, in the shape of
 * the scope it was sent to (the Answers of the route's or not-found handler's fastify instance); every
 * 4xx answer (that one too) counts as a failure of its address.
 */
import { FastifyInstance } from 'fastify';
import { AddressLimiter } from '../core/identity/address-limiter';
import { clientAddress } from './request';

const REFUSED = Symbol('refused by the failure limit');

export function registerFailureLimit(app: FastifyInstance, limiter: AddressLimiter): void {
  // Callback hooks, not async ones: no promise per request.
  app.addHook('onRequest', (req, reply, done) => {
    const address = clientAddress(req);
    const wait = limiter.refuse(address);
    if (wait === 0) return done();
    // A refused request counts too: an address that keeps sending faster than the refill never gets through.
    limiter.failed(address);
    (req as unknown as Record<symbol, boolean>)[REFUSED] = true;
    // Answered here: done is not called, so no later hook or handler runs.
    req.server.answers.tooMany(reply, wait);
  });
  app.addHook('onResponse', (req, reply, done) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500 && !(req as unknown as Record<symbol, boolean>)[REFUSED]) limiter.failed(clientAddress(req));
    done();
  });
}

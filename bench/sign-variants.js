'use strict';
/**
 * ES256 signing through node:crypto, every way it offers, on a JWT signing input the size of a
 * datarhei access token's: which one src/core/sign-jwt.ts should use. CPU µs per signature (user +
 * system of this process, so work on the thread pool counts too), median over interleaved rounds.
 * Alone, not part of `npm run bench`: `taskset -c 0 node bench/sign-variants.js [signatures per round] [rounds]`.
 */
const crypto = require('node:crypto');

const N = Number(process.argv[2] || 5000);
const ROUNDS = Number(process.argv[3] || 7);

const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
const claims = { sub: 'bench0', tenant: 'bench', uid: crypto.randomUUID(), usefor: 'access', exi: 600, iss: 'master-gateway', iat: 1796559898, exp: 1796560498, jti: crypto.randomUUID() };
const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'x'.repeat(43) })).toString('base64url');
const text = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
const input = Buffer.from(text);
const p1363 = { key: privateKey, dsaEncoding: 'ieee-p1363' };

/** Each gives an IEEE P1363 (r || s) signature, as JWS wants, except where the name says DER. */
const VARIANTS = {
  'crypto.sign, KeyObject, ieee-p1363 (sign-jwt.ts)': () => crypto.sign('sha256', input, p1363),
  'crypto.sign, KeyObject, DER (then converted: not cheaper)': () => crypto.sign('sha256', input, privateKey),
  'crypto.sign, signing input as a string': () => crypto.sign('sha256', Buffer.from(text), p1363),
  'createSign().update().sign(), ieee-p1363': () => crypto.createSign('sha256').update(input).sign(p1363),
  'crypto.sign, PEM parsed per call': () => crypto.sign('sha256', input, { key: pem, dsaEncoding: 'ieee-p1363' }),
};

function cpuPerCall(fn, n) {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

async function main() {
  if (!crypto.verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, VARIANTS['crypto.sign, KeyObject, ieee-p1363 (sign-jwt.ts)']())) throw new Error('signature does not verify');
  const results = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(VARIANTS)) (results[name] ??= []).push(cpuPerCall(fn, name.includes('PEM') ? N / 10 : N));
  }
  // Web Crypto signs on the thread pool: awaited one at a time, its CPU is the whole process's.
  const key = await crypto.webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const subtle = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < N / 5; i++) await crypto.webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, input);
    const used = process.cpuUsage(before);
    subtle.push((used.user + used.system) / (N / 5));
  }
  results['webcrypto subtle.sign (thread pool, awaited)'] = subtle;

  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(`Node ${process.version}, OpenSSL ${process.versions.openssl}; ${N} signatures × ${ROUNDS} rounds; CPU µs per signature (median, then each round)`);
  for (const [name, xs] of Object.entries(results)) console.log(`${median(xs).toFixed(1).padStart(7)}  ${name.padEnd(58)} ${xs.map((x) => x.toFixed(1)).join(' ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

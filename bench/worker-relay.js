#!/usr/bin/env node
'use strict';
/**
 * What making a change in force on every worker costs: Logout latency (the call waits while the
 * primary relays the revocation and the other worker applies it) and the latency of a warm
 * authenticated call (GetList, where nothing was added), from `serve --workers 2` against
 * `--workers 1`, in alternating rounds. One grpc-js client, calls one at a time; each window's
 * first 100 logins are warm-up. Runs alone: `node bench/worker-relay.js [--rounds 2] [--quick]`.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, CLI, log, parseOptions, ensureServerBuilt, sleep, median } = require('./lib');

const o = { rounds: 2, logins: 600 };
parseOptions(process.argv.slice(2), o, __filename, (a) => a === '--quick' && !!Object.assign(o, { rounds: 1, logins: 200 }));
const grpc = require(path.join(ROOT, 'node_modules', '@grpc', 'grpc-js'));
const call = (c, m, req, md = new grpc.Metadata()) => new Promise((res, rej) => c[m](req, md, (e, r) => (e ? rej(e) : res(r))));
const quantile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];

async function window(workers) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mgw-relay-'));
  const env = { PATH: process.env.PATH, GATEWAY_CERT_DIR: path.join(root, 'certs'), GATEWAY_DATA_DIR: path.join(root, 'data'), GATEWAY_GRPC_HOST: '127.0.0.1', GATEWAY_GRPC_PORT: '0', GATEWAY_HTTP_PORT: '-1' };
  const child = spawn(process.execPath, [CLI, 'serve', '--workers', String(workers)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  while ((out.match(/master gateway serving/g) || []).length < workers) await sleep(100);
  const port = JSON.parse(out.split('\n').find((l) => l.includes('master gateway serving'))).port;
  const read = (f) => fs.readFileSync(path.join(env.GATEWAY_CERT_DIR, f));
  const { LoginService } = require(path.join(ROOT, 'dist', 'gen', 'gsdk', 'login', 'login.js'));
  const { GatewayService } = require(path.join(ROOT, 'dist', 'gen', 'gsdk', 'gateway', 'gateway.js'));
  const Client = grpc.makeGenericClientConstructor({ ...LoginService, ...GatewayService }, 'bench');
  const c = new Client(`localhost:${port}`, grpc.credentials.createSsl(read('ca.crt'), read('admin_key.pem'), read('admin.crt')), { 'grpc.use_local_subchannel_pool': 1 });
  const cert = read('admin.crt').toString();
  const logout = [];
  const warm = [];
  for (let i = 0; i < o.logins; i++) {
    const md = new grpc.Metadata();
    md.set('token', (await call(c, 'login', { tenantCert: cert })).jwtToken);
    for (let k = 0; k < 3; k++) {
      const t = process.hrtime.bigint();
      await call(c, 'getList', {}, md);
      if (i >= 100) warm.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
    const t = process.hrtime.bigint();
    await call(c, 'logout', {}, md);
    if (i >= 100) logout.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  c.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  fs.rmSync(root, { recursive: true, force: true });
  return { logout, warm };
}

(async () => {
  ensureServerBuilt(false);
  const rows = [];
  for (let r = 1; r <= o.rounds; r++) {
    for (const workers of [1, 2]) {
      const { logout, warm } = await window(workers);
      const row = { round: r, workers, logoutMedian: median(logout), logoutP90: quantile(logout, 0.9), warmMedian: median(warm), warmP90: quantile(warm, 0.9) };
      log(`round ${r}, --workers ${workers}: Logout median ${row.logoutMedian.toFixed(0)} µs (p90 ${row.logoutP90.toFixed(0)}), warm GetList median ${row.warmMedian.toFixed(0)} µs`);
      rows.push(row);
    }
  }
  process.stdout.write('| round | workers | Logout median µs | Logout p90 µs | warm GetList median µs | warm GetList p90 µs |\n|---|---|---|---|---|---|\n');
  for (const x of rows) process.stdout.write(`| ${x.round} | ${x.workers} | ${x.logoutMedian.toFixed(0)} | ${x.logoutP90.toFixed(0)} | ${x.warmMedian.toFixed(0)} | ${x.warmP90.toFixed(0)} |\n`);
})();

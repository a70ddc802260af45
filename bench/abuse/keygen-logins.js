// Password-login latency while 16 certificates are issued in parallel (issue 10: RSA key generation
// shared libuv's thread pool with argon2id, and logins went from 18 ms to 1–1.7 s). The gateway runs
// in this process with the default argon2id cost; one client logs in, one login after another, from
// a child process; 16 loops call the core's certificate issuing (what CreateCertificate runs) with
// no pause. Prints p50/p95/max login latency without and with the issuing, and how many certificates
// were issued. Run after `npm run build`; BENCH_SECONDS (default 10) per phase.
'use strict';
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const pino = require('pino');

const ROOT = join(__dirname, '..', '..');
const dist = (p) => require(join(ROOT, 'dist', p));
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

function logins(url, body) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'login-latency.js'), JSON.stringify({ url, body, seconds: SECONDS })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`login client exited ${code}`))));
  });
}

async function main() {
  const { loadConfig } = dist('config.js');
  const { startGateway } = dist('gateway.js');
  const dir = mkdtempSync(join(tmpdir(), 'mgw-bench-keygen-'));
  const overrides = { certDir: join(dir, 'certs'), dataDir: join(dir, 'data'), grpcHost: '127.0.0.1', grpcPort: 0, httpHost: '127.0.0.1', httpPort: 0, lockoutThreshold: 1000 };
  // Older builds have no issuance limit setting; this one's is lifted so only key generation is measured.
  let config;
  try {
    config = loadConfig({}, { ...overrides, certificatesPerMinute: 10_000 });
  } catch {
    config = loadConfig({}, overrides);
  }
  const gateway = await startGateway(config, pino({ level: 'error' }));
  const { identity, store, certificates } = gateway.core;
  await store.addTenants([{ tenantId: 'bench', gatewayIds: ['bench-gw'] }]);
  await identity.users.add({ username: 'bench-user', tenantId: 'bench', password: 'bench password 1' });
  const url = `http://127.0.0.1:${gateway.httpPort}/api/login`;
  const body = JSON.stringify({ username: 'bench-user', password: 'bench password 1' });

  const quiet = await logins(url, body);
  let issuing = true;
  let issued = 0;
  let refused = 0;
  const loops = Array.from({ length: 16 }, async () => {
    while (issuing) {
      try {
        await certificates.issue({ kind: 'gateway', tenantId: 'bench', gatewayId: 'bench-gw' }, {}, 1);
        issued++;
      } catch {
        refused++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  });
  const busy = await logins(url, body);
  issuing = false;
  await Promise.all(loops);
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });

  const row = (name, r) =>
    `| ${name} | ${r.latencies.length} | ${pct(r.latencies, 50).toFixed(1)} | ${pct(r.latencies, 95).toFixed(1)} | ${Math.max(...r.latencies).toFixed(1)} | ${r.failed} |`;
  process.stdout.write(
    [
      `Password logins (datarhei POST /api/login, one at a time, ${SECONDS} s per phase), Node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE || 4}`,
      '',
      '| phase | logins | p50 ms | p95 ms | max ms | failed |',
      '|---|---:|---:|---:|---:|---:|',
      row('no issuing', quiet),
      row('16 parallel certificate issuings', busy),
      '',
      `certificates issued meanwhile: ${issued} (${(issued / SECONDS).toFixed(1)}/s); refused: ${refused}`,
      '',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// Identity benchmark (HTTP bridge): password logins per second at the default argon2id cost against
// the raw hash rate of this machine, the event loop's p99 delay while logins run, and refresh calls
// per second. The gateway runs in this process (so its event loop can be watched); the load comes
// from a child process. Writes its report where bench/run.js asks (BENCH_REPORT), else bench/out/identity-REPORT.md.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir, cpus } = require('node:os');
const { join } = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const pino = require('pino');
const { httpsAgent, request } = require('../lib');

const ROOT = join(__dirname, '..', '..');
const dist = (p) => require(join(ROOT, 'dist', p));
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function load(options) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'load.js'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load exited ${code}`))));
  });
}

/** Raw argon2id hashes per second with `parallel` hashes in flight (the thread pool's width). */
async function rawHashRate(cost, parallel) {
  const { hash } = require('@node-rs/argon2');
  const options = { memoryCost: cost.memoryKib, timeCost: cost.timeCost, parallelism: cost.parallelism, algorithm: 2 };
  let done = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (Date.now() < deadline) {
        await hash('correct horse battery staple', options);
        done++;
      }
    }),
  );
  return done / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function main() {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const { loadConfig } = dist('config.js');
  const { startGateway } = dist('gateway.js');
  const { DEFAULT_PASSWORD_COST } = dist('core/identity/passwords.js');
  const dir = mkdtempSync(join(tmpdir(), 'mgw-bench-identity-'));
  const config = loadConfig({}, { certDir: join(dir, 'certs'), dataDir: join(dir, 'data'), grpcHost: '127.0.0.1', grpcPort: 0, httpHost: '127.0.0.1', httpPort: 0, lockoutThreshold: 1000, devPki: true });
  const gateway = await startGateway(config, pino({ level: 'warn' }));
  // The bridge serves HTTPS: clients trust the gateway's CA, as apps given ca.crt do.
  const ca = readFileSync(join(config.certDir, 'ca.crt'), 'utf8');
  const base = `https://127.0.0.1:${gateway.httpPort}`;
  const { identity, store } = gateway.core;
  await store.addTenants([{ tenantId: 'bench', gatewayIds: [] }]);
  // Many users log in at once (one user's 16 parallel logins would be counted as pending attempts by the lockout).
  const loginBodies = [];
  for (let i = 0; i < 32; i++) {
    await identity.users.add({ username: `bench${i}`, tenantId: 'bench', password: 'bench password 1' });
    loginBodies.push(JSON.stringify({ username: `bench${i}`, password: 'bench password 1' }));
  }
  const loginBody = loginBodies[0];
  const agent = httpsAgent(ca);
  const tokens = JSON.parse((await request(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: loginBody, agent })).text);
  agent.destroy();
  const pool = Number(process.env.UV_THREADPOOL_SIZE || 4);

  const rows = { raw: [], login: [], p99: [], p50: [], refresh: [], loginLatencyP99: [], refreshLatencyP99: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    rows.raw.push(await rawHashRate(DEFAULT_PASSWORD_COST, pool));
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const logins = await load({ url: `${base}/api/login`, ca, method: 'POST', bodies: loginBodies, concurrency: 16, seconds: SECONDS });
    delay.disable();
    if (logins.failed) throw new Error(`logins failed: ${JSON.stringify(logins.statuses)}`);
    rows.login.push(logins.ok / logins.seconds);
    rows.loginLatencyP99.push(logins.p99Ms);
    rows.p99.push(delay.percentile(99) / 1e6);
    rows.p50.push(delay.percentile(50) / 1e6);
    const refresh = await load({ url: `${base}/api/login/refresh`, ca, method: 'GET', bearer: tokens.refresh_token, concurrency: 32, seconds: SECONDS });
    if (refresh.failed) throw new Error(`refreshes failed: ${JSON.stringify(refresh.statuses)}`);
    rows.refresh.push(refresh.ok / refresh.seconds);
    rows.refreshLatencyP99.push(refresh.p99Ms);
    process.stderr.write(`round ${round}: raw ${rows.raw.at(-1).toFixed(0)}/s, logins ${rows.login.at(-1).toFixed(0)}/s (p99 loop delay ${rows.p99.at(-1).toFixed(1)} ms), refresh ${rows.refresh.at(-1).toFixed(0)}/s\n`);
  }
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });

  const f = (x, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const ratio = median(rows.login) / median(rows.raw);
  const report = `# Identity benchmark (HTTP bridge)

Generated by \`node bench/identity/run.js\` on ${new Date().toISOString()}: ${cpus()[0].model}, ${cpus().length} cores, Node ${process.version}, UV_THREADPOOL_SIZE=${pool}.
Gateway in the benchmark process (its event loop watched with \`monitorEventLoopDelay\`), load from a child process over keep-alive HTTPS (HTTP/1.1, TLS 1.3).
Password cost: argon2id m=${DEFAULT_PASSWORD_COST.memoryKib} KiB, t=${DEFAULT_PASSWORD_COST.timeCost}, p=${DEFAULT_PASSWORD_COST.parallelism} (the default). ${ROUNDS} rounds × ${SECONDS} s per phase; medians.

| figure | median | per round |
|---|---:|---|
| raw argon2id hashes/s (${pool} in flight, same process) | ${f(median(rows.raw))} | ${rows.raw.map((x) => f(x)).join(', ')} |
| datarhei password logins/s (16 clients, 32 users) | ${f(median(rows.login))} | ${rows.login.map((x) => f(x)).join(', ')} |
| **logins / raw hash rate** | **${f(ratio, 2)}** | |
| password login latency p99 at that rate (ms) | ${f(median(rows.loginLatencyP99), 1)} | ${rows.loginLatencyP99.map((x) => f(x, 1)).join(', ')} |
| event loop delay p99 during logins (ms) | ${f(median(rows.p99), 1)} | ${rows.p99.map((x) => f(x, 1)).join(', ')} (target < 20) |
| event loop delay p50 during logins (ms) | ${f(median(rows.p50), 1)} | ${rows.p50.map((x) => f(x, 1)).join(', ')} |
| datarhei refresh calls/s (32 clients, one reusable refresh token) | ${f(median(rows.refresh))} | ${rows.refresh.map((x) => f(x)).join(', ')} |
| refresh latency p99 at that rate (ms) | ${f(median(rows.refreshLatencyP99), 1)} | ${rows.refreshLatencyP99.map((x) => f(x, 1)).join(', ')} |

A login is one argon2id verification (on libuv's thread pool) plus two ES256 signatures and a few SQLite writes; the
ratio says how much of the machine's hashing capacity reaches users. A refresh is a signature check, a hash lookup and one ES256 signature.
`;
  // bench/run.js gathers every part into bench/REPORT.md; alone, this part writes to bench/out.
  require('node:fs').mkdirSync(join(__dirname, '..', 'out'), { recursive: true });
  writeFileSync(process.env.BENCH_REPORT || join(__dirname, '..', 'out', 'identity-REPORT.md'), report);
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ ratio, loginsPerSecond: median(rows.login), rawHashesPerSecond: median(rows.raw), loopDelayP99Ms: median(rows.p99), refreshPerSecond: median(rows.refresh), loginLatencyP99Ms: median(rows.loginLatencyP99) }));
  process.stdout.write(report);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

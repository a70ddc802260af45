// Identity benchmark (HTTP bridge): password logins per second at the default argon2id cost against
// the raw hash rate of this machine, the event loop's p99 delay while logins run, and refresh calls
// per second. The gateway runs in this process (so its event loop can be watched); the load comes
// from a child process. Writes its report where bench/run.js asks (BENCH_REPORT), else bench/out/identity-REPORT.md.
//
// BENCH_LOAD picks the load generator of the login and refresh phases: `wrk` (the default: wrk -t2 -c16
// with login.lua, which never has one user's logins in flight twice), `node` (the Node HTTPS
// client of load.js, the generator before 2026-12-06 13:00), or `both` (every round measures logins
// with each, in alternating order: a same-run comparison of what the generator costs the ratio).
// BENCH_AGAINST=DIR (a built checkout: dist/ and node_modules) starts that build's gateway in this
// process too, and every round measures its logins next to this build's (a same-run before/after);
// the idle one serves nothing while the other is loaded.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir, cpus } = require('node:os');
const { join } = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const pino = require('pino');
const { httpsAgent, request } = require('../lib');

const ROOT = join(__dirname, '..', '..');
const WRK = '/usr/bin/wrk';
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const LOAD = process.env.BENCH_LOAD || 'wrk';
const AGAINST = process.env.BENCH_AGAINST;
/** Clients logging in at once, and the users they log in as (each client its own: 2 users per client). */
const CLIENTS = 16;
const USERS = 32;
/** wrk threads (login.lua gives each its own USERS / WRK_THREADS users, more than its CLIENTS / WRK_THREADS connections). */
const WRK_THREADS = 2;
/** Hashes the gateway runs at once (passwords.ts: one per core). */
const HASH_WIDTH = cpus().length;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** user + system ms of a /proc stat line; with `children`, those of its waited-for children (cutime + cstime) instead. */
const ticks = (stat, children = false) => {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (children ? Number(f[13]) + Number(f[14]) : Number(f[11]) + Number(f[12])) * TICK_MS;
};
/** CPU ms of this process, of its main thread (the event loop), of its finished children (load generators), and the machine's idle ms (all cores), from /proc. */
function cpuNow() {
  const all = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const self = readFileSync('/proc/self/stat', 'utf8');
  return { process: ticks(self), children: ticks(self, true), main: ticks(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')), idle: (all[3] + all[4]) * TICK_MS };
}
/** With BENCH_MARKS=FILE, each login phase's start and end (µs, the monotonic clock a --cpu-prof profile's timestamps use): to cut the profile to it. */
const mark = (what) => process.env.BENCH_MARKS && require('node:fs').appendFileSync(process.env.BENCH_MARKS, `${JSON.stringify({ what, us: Number(process.hrtime.bigint() / 1000n) })}\n`);
const cpuSince = (a) => {
  const b = cpuNow();
  return { process: b.process - a.process, children: b.children - a.children, main: b.main - a.main, idle: b.idle - a.idle };
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Run and run-queue wait ns of each thread of this process (/proc/self/task/TID/schedstat). */
function threadsNow() {
  const threads = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      threads.set(tid, { run, wait });
    } catch {
      // the thread ended meanwhile
    }
  }
  return threads;
}

/**
 * Where the hashing capacity (HASH_WIDTH threads × the window) went, %: running, runnable but waiting
 * for a core (the host's other processes, the event loop, each other), and neither: no hash to run,
 * the gap between one hash ending and the next starting, whatever the host's load. Summed over the
 * threads but the event loop's that ran at least 5 % of the window (libuv's pool hands hashes to any
 * of its threads); on a host with no core to spare, the waiting of the other threads can push the
 * sum past the capacity, and the last figure below zero.
 */
function hashingThreads(a, b, ms) {
  let run = 0;
  let wait = 0;
  for (const [tid, t] of b) {
    if (tid === String(process.pid) || !a.has(tid)) continue;
    const ran = (t.run - a.get(tid).run) / 1e6;
    // A thread that ran under 5 % of the window hashed nothing (V8's helpers, idle pool threads).
    if (ran < 0.05 * ms) continue;
    run += ran;
    wait += (t.wait - a.get(tid).wait) / 1e6;
  }
  const capacity = HASH_WIDTH * ms;
  return { runPct: (100 * run) / capacity, waitPct: (100 * wait) / capacity, asleepPct: 100 - (100 * (run + wait)) / capacity };
}

/**
 * Runs a load generator child; while it runs, samples its CPU (/proc/PID/stat) and this process's
 * from 1 s after the start to 0.5 s before the end (the steady part, without start-up and TLS
 * handshakes): the `window` shares, in % of one core.
 */
function runChild(argv, seconds) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let window = null;
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    (async () => {
      await sleep(1000);
      const read = () => ({ at: performance.now(), load: ticks(readFileSync(`/proc/${child.pid}/stat`, 'utf8')), gateway: cpuNow().process, threads: threadsNow() });
      const a = read();
      await sleep((seconds - 1.5) * 1000);
      const b = read();
      const ms = b.at - a.at;
      window = { loadPct: (100 * (b.load - a.load)) / ms, gatewayPct: (100 * (b.gateway - a.gateway)) / ms, hashing: hashingThreads(a.threads, b.threads, ms) };
    })().catch(() => {}); // a child that ended early has no window
    child.on('exit', (code) => (code === 0 ? resolve({ out, window }) : reject(new Error(`${argv[0]} exited ${code}: ${out}`))));
  });
}

/** The Node HTTPS client (load.js): `concurrency` requests in flight, bodies taken round-robin across all clients. */
async function nodeLoad({ url, ca, method, bodies, bearer, concurrency, seconds }) {
  const { out, window } = await runChild([process.execPath, join(__dirname, 'load.js'), JSON.stringify({ url, ca, method, bodies, bearer, concurrency, seconds })], seconds);
  return { ...JSON.parse(out), window };
}

/** wrk with a Lua script (its arguments after `--`): one JSON line `BENCH {...}` (bench/http/common.lua). */
async function wrkLoad({ url, script, args, threads, connections, seconds }) {
  const argv = [WRK, `-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--timeout', '30s', '-s', script, url, '--', ...args];
  const { out, window } = await runChild(argv, seconds);
  const line = out.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`wrk printed no BENCH line:\n${out}`);
  const r = JSON.parse(line.slice(6));
  const errors = r.connect + r.read + r.write + r.timeout;
  const failed = r.failures + errors;
  return { ok: r.requests - r.failures, failed, statuses: { judgedWrong: r.failures, socketErrors: errors }, seconds: r.us / 1e6, p50Ms: r.p50 / 1000, p99Ms: r.p99 / 1000, window };
}

/** Raw argon2id hashes per second with `parallel` hashes in flight (the thread pool's width). */
async function rawHashRate(cost, parallel) {
  const { hash } = require('@node-rs/argon2');
  const options = { memoryCost: cost.memoryKib, timeCost: cost.timeCost, parallelism: cost.parallelism, algorithm: 2 };
  let done = 0;
  const cpu = cpuNow();
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
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = cpuSince(cpu);
  return { rate: done / seconds, cpuMsPerHash: used.process / done, idleShare: used.idle / (seconds * 1000 * cpus().length) };
}

/** A gateway of the build at `root` in this process, with USERS users who can log in, a refresh token and the files wrk reads. */
async function startSide(root, name) {
  const dist = (p) => require(join(root, 'dist', p));
  const { loadConfig } = dist('config.js');
  const { startGateway } = dist('gateway.js');
  const dir = mkdtempSync(join(tmpdir(), `mgw-bench-identity-${name}-`));
  const config = loadConfig({}, { certDir: join(dir, 'certs'), dataDir: join(dir, 'data'), grpcHost: '127.0.0.1', grpcPort: 0, httpHost: '127.0.0.1', httpPort: 0, opsPort: 0, lockoutThreshold: 1000, devPki: true });
  const gateway = await startGateway(config, pino({ level: 'warn' }));
  // The bridge serves HTTPS: clients trust the gateway's CA, as apps given ca.crt do.
  const ca = readFileSync(join(config.certDir, 'ca.crt'), 'utf8');
  const base = `https://127.0.0.1:${gateway.httpPort}`;
  const { identity, store } = gateway.core;
  await store.addTenants([{ tenantId: 'bench', gatewayIds: [] }]);
  // Many users log in at once (one user's parallel logins would be counted as pending attempts by the lockout).
  const loginBodies = [];
  for (let i = 0; i < USERS; i++) {
    await identity.users.add({ username: `bench${i}`, tenantId: 'bench', password: 'bench password 1' });
    loginBodies.push(JSON.stringify({ username: `bench${i}`, password: 'bench password 1' }));
  }
  const agent = httpsAgent(ca);
  const tokens = JSON.parse((await request(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: loginBodies[0], agent })).text);
  agent.destroy();
  writeFileSync(join(dir, 'bodies.txt'), `${loginBodies.join('\n')}\n`);
  writeFileSync(join(dir, 'refresh.txt'), `${tokens.refresh_token}\n`);
  return { name, root, dir, gateway, ca, base, loginBodies, tokens, cost: dist('core/identity/passwords.js').DEFAULT_PASSWORD_COST };
}

/** One login phase: CLIENTS clients, each waiting for its answer before its next login, none sharing a user with another. */
function logins(side, generator) {
  const url = `${side.base}/api/login`;
  if (generator === 'node') return nodeLoad({ url, ca: side.ca, method: 'POST', bodies: side.loginBodies, concurrency: CLIENTS, seconds: SECONDS });
  return wrkLoad({ url, script: join(__dirname, 'login.lua'), args: [join(side.dir, 'bodies.txt'), String(WRK_THREADS)], threads: WRK_THREADS, connections: CLIENTS, seconds: SECONDS });
}

function refreshes(side, generator) {
  const url = `${side.base}/api/login/refresh`;
  if (generator === 'node') return nodeLoad({ url, ca: side.ca, method: 'GET', bearer: side.tokens.refresh_token, concurrency: 32, seconds: SECONDS });
  return wrkLoad({ url, script: join(__dirname, '..', 'http', 'bearer.lua'), args: [join(side.dir, 'refresh.txt')], threads: 2, connections: 32, seconds: SECONDS });
}

async function main() {
  if (!['wrk', 'node', 'both'].includes(LOAD)) throw new Error(`BENCH_LOAD must be wrk, node or both, not ${LOAD}`);
  if (LOAD !== 'node' && !require('node:fs').existsSync(WRK)) throw new Error(`the identity part needs wrk at ${WRK} (apt-get update && apt-get install -y wrk), or BENCH_LOAD=node for the Node client`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const generators = LOAD === 'both' ? ['wrk', 'node'] : [LOAD];
  const sides = [await startSide(ROOT, 'this')];
  if (AGAINST) sides.push(await startSide(AGAINST, 'against'));
  const cost = sides[0].cost;
  for (const s of sides) if (JSON.stringify(s.cost) !== JSON.stringify(cost)) throw new Error(`${s.root} hashes at another default cost: ${JSON.stringify(s.cost)}`);
  const pool = Number(process.env.UV_THREADPOOL_SIZE || 4);
  // Every login phase of a round: each build × each generator; the first is the headline.
  const arms = sides.flatMap((side) => generators.map((generator) => ({ side, generator, label: `${side.name === 'this' ? 'this build' : `against ${AGAINST}`}, ${generator === 'wrk' ? 'wrk + login.lua' : 'Node client (load.js)'}` })));
  const blank = () => ({ login: [], ratio: [], p99: [], p50: [], loginLatencyP99: [], loginCpu: [], mainCpu: [], loadCpu: [], loginIdle: [], loadPct: [], gatewayPct: [], hashRun: [], hashWait: [], hashAsleep: [] });
  for (const arm of arms) arm.rows = blank();

  const rows = { raw: [], rawPool: [], rawCores: [], hashCpu: [], rawIdle: [], refresh: [], refreshLatencyP99: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    // The raw rate is the best this machine hashes: with the thread pool's width in flight and with one per core, whichever is higher.
    const rawByWidth = [await rawHashRate(cost, pool), await rawHashRate(cost, cpus().length)];
    rows.rawPool.push(rawByWidth[0].rate);
    rows.rawCores.push(rawByWidth[1].rate);
    const raw = rawByWidth[0].rate >= rawByWidth[1].rate ? rawByWidth[0] : rawByWidth[1];
    rows.raw.push(raw.rate);
    rows.hashCpu.push(raw.cpuMsPerHash);
    rows.rawIdle.push(raw.idleShare);
    // Odd rounds in the order above, even rounds reversed: no arm always runs right after the raw hashing.
    for (const arm of round % 2 ? arms : [...arms].reverse()) {
      const r = arm.rows;
      // Sampled every 10 ms: at 1 ms the watch itself took ~20 ms/s of the event loop's CPU and 500
      // wake-ups/s from the gateway it watches (measured idle, 2026-12-06); a 20 ms p99 target still reads at 10.
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const cpu = cpuNow();
      mark(`logins start ${arm.side.name} ${arm.generator}`);
      const result = await logins(arm.side, arm.generator);
      mark(`logins end ${arm.side.name} ${arm.generator}`);
      const used = cpuSince(cpu);
      delay.disable();
      if (result.failed) throw new Error(`logins failed (${arm.label}): ${JSON.stringify(result.statuses)}`);
      r.login.push(result.ok / result.seconds);
      r.ratio.push(r.login.at(-1) / raw.rate);
      r.loginLatencyP99.push(result.p99Ms);
      // Per login: the gateway's CPU (hashing threads and event loop), its event loop's alone, the load generator's
      // (the child's whole run, start-up included: cutime + cstime once it was waited for); and the machine's idle share.
      r.loginCpu.push(used.process / result.ok);
      r.mainCpu.push(used.main / result.ok);
      r.loadCpu.push(used.children / result.ok);
      r.loginIdle.push(used.idle / (result.seconds * 1000 * cpus().length));
      r.loadPct.push(result.window?.loadPct ?? NaN);
      r.gatewayPct.push(result.window?.gatewayPct ?? NaN);
      r.hashRun.push(result.window?.hashing.runPct ?? NaN);
      r.hashWait.push(result.window?.hashing.waitPct ?? NaN);
      r.hashAsleep.push(result.window?.hashing.asleepPct ?? NaN);
      r.p99.push(delay.percentile(99) / 1e6);
      r.p50.push(delay.percentile(50) / 1e6);
      process.stderr.write(`round ${round} ${arm.label}: raw ${raw.rate.toFixed(1)}/s, logins ${r.login.at(-1).toFixed(1)}/s (${r.ratio.at(-1).toFixed(3)}), loop p99 ${r.p99.at(-1).toFixed(1)} ms; per login CPU ms: gateway ${r.loginCpu.at(-1).toFixed(2)} (event loop ${r.mainCpu.at(-1).toFixed(2)}), load ${r.loadCpu.at(-1).toFixed(3)}; steady window: load ${r.loadPct.at(-1).toFixed(1)} % of a core, gateway ${r.gatewayPct.at(-1).toFixed(0)} %, hashing threads run/wait/asleep ${r.hashRun.at(-1).toFixed(0)}/${r.hashWait.at(-1).toFixed(0)}/${r.hashAsleep.at(-1).toFixed(1)} %\n`);
    }
    const refresh = await refreshes(sides[0], generators[0]);
    if (refresh.failed) throw new Error(`refreshes failed: ${JSON.stringify(refresh.statuses)}`);
    rows.refresh.push(refresh.ok / refresh.seconds);
    rows.refreshLatencyP99.push(refresh.p99Ms);
    process.stderr.write(`round ${round}: raw ${raw.rate.toFixed(1)}/s (${pool} in flight ${rows.rawPool.at(-1).toFixed(1)}, ${cpus().length} in flight ${rows.rawCores.at(-1).toFixed(1)}), CPU ms per hash ${raw.cpuMsPerHash.toFixed(2)} (idle ${(100 * raw.idleShare).toFixed(0)} %), refresh ${rows.refresh.at(-1).toFixed(0)}/s\n`);
  }
  for (const side of sides) {
    await side.gateway.close();
    rmSync(side.dir, { recursive: true, force: true });
  }

  const f = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');
  const line = (label, xs, d = 0, after = '') => `| ${label} | ${f(median(xs), d)} | ${xs.map((x) => f(x, d)).join(', ')}${after} |`;
  const head = arms[0];
  const ratio = median(head.rows.login) / median(rows.raw);
  const byCpu = (arm) => median(rows.hashCpu) / median(arm.rows.loginCpu);
  const armTable = (arm) => {
    const r = arm.rows;
    return [
      `### Logins: ${arm.label}`,
      '',
      '| figure | median | per round |',
      '|---|---:|---|',
      line(`datarhei password logins/s (${CLIENTS} clients, ${USERS} users)`, r.login),
      `| **logins / raw hash rate** (median logins / median raw; per round: that round's) | **${f(median(r.login) / median(rows.raw), 3)}** | ${r.ratio.map((x) => f(x, 3)).join(', ')} |`,
      line('password login latency p99 at that rate (ms)', r.loginLatencyP99, 1),
      line('event loop delay p99 during logins (ms)', r.p99, 1, ' (target < 20)'),
      line('event loop delay p50 during logins (ms)', r.p50, 1),
      line('CPU ms per login: the gateway (hashing and event loop)', r.loginCpu, 2),
      line('of which its event loop thread', r.mainCpu, 2),
      line('CPU ms per login: the load generator (its whole run)', r.loadCpu, 3),
      line('steady window: the load generator, % of one core', r.loadPct, 1),
      line('steady window: the gateway process, % of one core', r.gatewayPct, 0),
      line(`steady window: the hashing capacity (${HASH_WIDTH} threads) running, %`, r.hashRun, 1),
      line('… runnable, waiting for a core, %', r.hashWait, 1),
      line('… **asleep with no hash to run** (the gap between hashes), %', r.hashAsleep, 1),
      `| **by CPU: raw hash / gateway per login** (hashing's share of a login's CPU) | **${f(byCpu(arm), 3)}** | ${rows.hashCpu.map((x, i) => f(x / r.loginCpu[i], 3)).join(', ')} |`,
      `| by CPU, the load generator counted too | ${f(median(rows.hashCpu) / (median(r.loginCpu) + median(r.loadCpu)), 3)} | ${rows.hashCpu.map((x, i) => f(x / (r.loginCpu[i] + r.loadCpu[i]), 3)).join(', ')} |`,
      line('machine idle share during logins (%)', r.loginIdle.map((x) => 100 * x)),
      '',
    ].join('\n');
  };
  const report = `# Identity benchmark (HTTP bridge)

Generated by \`node bench/identity/run.js\` on ${new Date().toISOString()}: ${cpus()[0].model}, ${cpus().length} cores, Node ${process.version}, UV_THREADPOOL_SIZE=${pool}.
Gateway in the benchmark process (its event loop watched with \`monitorEventLoopDelay\`, sampled every 10 ms), load from a child process over keep-alive HTTPS (HTTP/1.1, TLS 1.3): ${generators.map((g) => (g === 'wrk' ? `wrk \`-t${WRK_THREADS} -c${CLIENTS}\` with bench/identity/login.lua (never two logins of one user in flight)` : `the Node HTTPS client bench/identity/load.js (${CLIENTS} requests in flight, bodies round-robin)`)).join('; and ')}${AGAINST ? `; builds: this one and ${AGAINST}, each phase of a round next to the other's` : ''}.
Password cost: argon2id m=${cost.memoryKib} KiB, t=${cost.timeCost}, p=${cost.parallelism} (the default). ${ROUNDS} rounds × ${SECONDS} s per phase; medians.

| figure | median | per round |
|---|---:|---|
${line('raw argon2id hashes/s (same process; per round the higher of the two below)', rows.raw, 1)}
${line(`raw, ${pool} in flight (the thread pool's width)`, rows.rawPool, 1)}
${line(`raw, ${cpus().length} in flight (one per core)`, rows.rawCores, 1)}
${line('CPU ms per raw hash (this process)', rows.hashCpu, 2)}
${line('machine idle share, raw hashing (%)', rows.rawIdle.map((x) => 100 * x))}
${line(`datarhei refresh calls/s (32 clients, one reusable refresh token, ${generators[0]})`, rows.refresh)}
${line('refresh latency p99 at that rate (ms)', rows.refreshLatencyP99, 1)}

${arms.map(armTable).join('\n')}
The CPU figures come from /proc (user + system time of this process, of its event loop thread, and the load
generator child's, counted once it has been waited for): with no idle core, logins / raw ≈ CPU per raw hash / (gateway
+ load generator CPU per login). The steady window is 1 s after the generator started to 0.5 s before its end.
A login is one argon2id verification (on libuv's thread pool) plus two ES256 signatures and a few SQLite writes; the
ratio says how much of the machine's hashing capacity reaches users. A refresh is a signature check, a hash lookup and one ES256 signature.
`;
  // bench/run.js gathers every part into bench/REPORT.md; alone, this part writes to bench/out.
  require('node:fs').mkdirSync(join(__dirname, '..', 'out'), { recursive: true });
  writeFileSync(process.env.BENCH_REPORT || join(__dirname, '..', 'out', 'identity-REPORT.md'), report);
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ ratio, ratioByCpu: byCpu(head), loadCpuMsPerLogin: median(head.rows.loadCpu), loginsPerSecond: median(head.rows.login), rawHashesPerSecond: median(rows.raw), loopDelayP99Ms: median(head.rows.p99), refreshPerSecond: median(rows.refresh), loginLatencyP99Ms: median(head.rows.loginLatencyP99) }));
  process.stdout.write(report);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

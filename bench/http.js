#!/usr/bin/env node
'use strict';
/**
 * The HTTP part of `npm run bench` (issue 13: the HTTP bridge at the speed of the servers it
 * replaces). It also runs alone. wrk (Debian package `wrk`) makes the load: -t2 -c32 over HTTPS,
 * kept-alive connections, Lua scripts in bench/http/. Phases, run in interleaved rounds against one
 * server process pinned to core 0 (wrk on core 1):
 *   api         anonymous GET /api (datarhei's about call): the baseline
 *   refresh     GET /api/login/refresh with Bearer <refresh token>, one reusable token
 *   refresh1k   the same, 1,000 distinct refresh tokens taken round-robin
 *   monogoto    POST /Auth/Refresh {"refreshToken"}: spends the token, answers the next one
 *   edr         POST /mobile/v1/auth/refresh {"refreshToken"}: the same, EDR's dialect
 *   introspect  POST /oauth2/introspect token=<access token>, HTTP Basic client credentials
 *   workers     the `refresh` phase against `serve --workers auto` (unpinned, wrk unpinned too)
 * Each target is a ratio of two phases of the same round (median over the rounds, 90 % percentile
 * bootstrap interval), with wrk's p99 latency at the measured rate; each ratio is also given from the
 * gateway's CPU per request, which the shared host disturbs less (it reports how busy others kept core 0).
 *
 * Options: --rounds N (5) --warmup S (1) --duration S (5) --threads N (2) --connections N (32)
 *          --phases api,refresh,… (a subset; all by default)  --no-workers (all but the workers phase)
 *          --log-level L (info, the gateway's default)
 *          --against DIR (a built checkout of other code, e.g. the commit before a change: every phase also
 *                         runs against its gateways, next to this code's, and the report gives this / that
 *                         per phase, each with its interval)
 *          --profile (one more round on fresh gateways under node --cpu-prof: top self time per phase)
 *          --quick (1 round, 1 s + 2 s)  --keep (keep the run directory's logs)
 *          --report FILE (bench/out/http-REPORT.md) --json FILE (headline figures, for bench/run.js)
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { analyseProfile } = require('./profile');
const {
  ROOT, OUT, TENANT,
  fail, log, have, ensureServerBuilt, parseOptions, freePort, sleep, canConnect, monoUs, median, medianInterval, fmt, runLoadgen, cpuSeconds, childrenOf, httpsAgent, request, sh,
} = require('./lib');

const WRK = '/usr/bin/wrk';
const LUA = path.join(__dirname, 'http');
/** Users the logins are spread over (one login at a time each), so no account sees parallel attempts. */
const USERS = 8;
const PASSWORD = 'bench password 1';
/** Tokens each wrk thread starts a rotating phase with (more than its connections: one in flight each). */
const POOL_PER_THREAD = 64;
const DISTINCT = 1000;
const CLIENT = { id: 'bench', secret: 'bench-introspection-secret' };

/** Each headline: numerator phase, denominator phase, target. */
const RATIOS = {
  refresh: ['refresh', 'api', 0.5, 'datarhei refresh, one reusable token / GET /api'],
  refresh1k: ['refresh1k', 'api', 0.5, 'datarhei refresh, 1,000 distinct tokens / GET /api'],
  monogoto: ['monogoto', 'api', 0.25, 'Monogoto rotating refresh / GET /api'],
  edr: ['edr', 'api', 0.25, 'EDR rotating refresh / GET /api'],
  introspect: ['introspect', 'api', 0.5, 'introspection of an access token / GET /api'],
  workers: ['workers', 'refresh', 1.3, 'datarhei refresh, `serve --workers auto` / one process'],
};

const PHASES = {
  api: { title: 'anonymous `GET /api`', path: '/api' },
  refresh: { title: '`GET /api/login/refresh`, one reusable token', path: '/api/login/refresh' },
  refresh1k: { title: '`GET /api/login/refresh`, 1,000 distinct tokens', path: '/api/login/refresh' },
  monogoto: { title: 'Monogoto `POST /Auth/Refresh` (rotating)', path: '/Auth/Refresh' },
  edr: { title: 'EDR `POST /mobile/v1/auth/refresh` (rotating)', path: '/mobile/v1/auth/refresh' },
  introspect: { title: '`POST /oauth2/introspect` of an access token', path: '/oauth2/introspect' },
  workers: { title: '`GET /api/login/refresh`, one reusable token, `serve --workers auto`', path: '/api/login/refresh' },
};

function parseArgs(argv) {
  const o = { phases: Object.keys(PHASES), rounds: 5, warmup: 1, duration: 5, threads: 2, connections: 32, workers: true, logLevel: 'info', profile: false, keep: false, report: path.join(OUT, 'http-REPORT.md'), json: null };
  parseOptions(argv, o, __filename, (a, take) => {
    if (a === '--quick') Object.assign(o, { rounds: 1, warmup: 1, duration: 2 });
    else if (a === '--threads') o.threads = Math.round(take.num());
    else if (a === '--connections') o.connections = Math.round(take.num());
    else if (a === '--no-workers') o.workers = false;
    else if (a === '--phases') o.phases = take.next().split(',').filter(Boolean);
    else if (a === '--against') o.against = path.resolve(take.next());
    else if (a === '--log-level') o.logLevel = take.next();
    else if (a === '--profile') o.profile = true;
    else if (a === '--keep') o.keep = true;
    else return false;
    return true;
  });
  if (o.against && !fs.existsSync(path.join(o.against, 'dist', 'cli', 'main.js'))) fail(`--against ${o.against}: no built dist/cli/main.js there (a checkout of the code to compare with, built, with its node_modules)`);
  const unknown = o.phases.filter((p) => !PHASES[p]);
  if (unknown.length || !o.phases.length) fail(`--phases takes a comma-separated list of ${Object.keys(PHASES).join(', ')}`);
  // In the canonical order (the rounds alternate it), without workers when --no-workers.
  o.phases = Object.keys(PHASES).filter((p) => o.phases.includes(p) && (p !== 'workers' || o.workers));
  o.workers = o.phases.includes('workers');
  return o;
}

function preflightWrk() {
  if (!fs.existsSync(WRK)) {
    fail(`the HTTP part needs wrk at ${WRK} (the HTTP load generator). Install it (Debian) with:\n  apt-get update && apt-get install -y wrk`);
  }
  if (!have('taskset', ['-V'])) fail('needs taskset (apt-get install -y util-linux)');
  if (os.cpus().length < 2) fail('needs at least 2 cores (server on core 0, wrk on core 1)');
}

// ---------------------------------------------------------------- the gateway

/**
 * One gateway: its own certificates, data and tenant, and USERS users. Logins need no realistic
 * password cost here (none is measured in this part; bench/identity measures them), so the hashes
 * are cheap and the thousand-odd logins that make the tokens take seconds, not minutes.
 */
function prepareGateway(dir, name, cliPath) {
  const g = { name, cli: cliPath, certDir: path.join(dir, `${name}-certs`), dataDir: path.join(dir, `${name}-data`) };
  fs.mkdirSync(g.certDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(g.dataDir, { recursive: true, mode: 0o700 });
  g.env = {
    GATEWAY_CERT_DIR: g.certDir,
    GATEWAY_DATA_DIR: g.dataDir,
    GATEWAY_PASSWORD_MEMORY_KIB: '1024',
    GATEWAY_PASSWORD_TIME_COST: '1',
    GATEWAY_LOCKOUT_THRESHOLD: '1000',
    GATEWAY_INTROSPECTION_CLIENTS: `${CLIENT.id}:${CLIENT.secret}`,
  };
  const run = (args, input) => {
    const r = sh(process.execPath, [cliPath, ...args], { env: { ...process.env, ...g.env }, input });
    if (r.status !== 0) throw new Error(`master-gateway ${args.join(' ')} failed (${cliPath}):\n${r.stderr}${r.stdout}`);
  };
  run(['certs', 'init', '--out', g.certDir, '--data-dir', g.dataDir]);
  run(['tenant', 'add', TENANT]);
  for (let i = 0; i < USERS; i++) run(['user', 'add', '--tenant', TENANT, `bench${i}`], `${PASSWORD}\n`);
  g.ca = fs.readFileSync(path.join(g.certDir, 'ca.crt'), 'utf8');
  return g;
}

/** Starts `serve` (pinned to core 0 unless workers) and waits until it answers (every worker started and quiet). */
async function startGateway(g, o, { workers = 1, profileDir = null, logFile }) {
  g.httpPort = await freePort();
  const grpcPort = await freePort();
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const serve = [process.execPath, ...nodeArgs, g.cli, 'serve', ...(workers === 1 ? [] : ['--workers', String(workers)])];
  const argv = workers === 1 ? ['taskset', '-c', '0', ...serve] : serve;
  const logFd = fs.openSync(logFile, 'a');
  const startMono = monoUs();
  const child = spawn(argv[0], argv.slice(1), {
    cwd: ROOT,
    env: {
      ...process.env,
      ...g.env,
      GATEWAY_GRPC_HOST: '127.0.0.1',
      GATEWAY_GRPC_PORT: String(grpcPort),
      GATEWAY_HTTP_HOST: '127.0.0.1',
      GATEWAY_HTTP_PORT: String(g.httpPort),
      // Metrics are counted as in production; any free port, so runs of other benches do not collide.
      GATEWAY_OPS_HOST: '127.0.0.1',
      GATEWAY_OPS_PORT: '0',
      GATEWAY_LOG_LEVEL: o.logLevel,
    },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const want = workers === 'auto' ? os.cpus().length : workers;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`serve exited at start (${JSON.stringify(exited)}):\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`serve did not start within 60 s (log: ${logFile})`);
    const pids = want > 1 ? childrenOf(child.pid) : [child.pid];
    if (pids.length >= want && (await canConnect(g.httpPort))) {
      // The primary hands each connection to a listening worker: wait until all have gone quiet.
      const before = pids.map(cpuSeconds);
      await sleep(1000);
      // Under --cpu-prof an idle gateway alone takes ~0.05-0.07 s a second (the sampling profiler).
      const quiet = profileDir ? 0.15 : 0.05;
      if (pids.every((p, i) => cpuSeconds(p) - before[i] < quiet)) break;
    } else await sleep(200);
  }
  return {
    pid: child.pid,
    startMono,
    logFile,
    /** Every process of the gateway (the primary and its workers). */
    pids: () => [child.pid, ...(want > 1 ? childrenOf(child.pid) : [])],
    exited: () => exited,
    async stop() {
      if (!exited) child.kill('SIGTERM');
      const until = Date.now() + 60_000;
      while (!exited && Date.now() < until) await sleep(100);
      if (!exited) {
        child.kill('SIGKILL');
        throw new Error(`serve did not stop within 60 s of SIGTERM (log: ${logFile})`);
      }
      return exited;
    },
  };
}

// ---------------------------------------------------------------- tokens

function client(g) {
  const agent = httpsAgent(g.ca, 64);
  const base = `https://127.0.0.1:${g.httpPort}`;
  const call = async (method, route, { body, headers = {}, want }) => {
    const r = await request(base + route, { method, agent, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (r.status !== 200) throw new Error(`${method} ${route} answered ${r.status}: ${r.text.slice(0, 300)}`);
    const json = JSON.parse(r.text);
    const value = want(json);
    if (typeof value !== 'string' || !value) throw new Error(`${method} ${route}: no token in ${r.text.slice(0, 300)}`);
    return value;
  };
  const creds = (user) => ({ username: `bench${user}`, password: PASSWORD });
  const logins = {
    datarhei: async (user) => {
      const r = await request(`${base}/api/login`, { method: 'POST', agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify(creds(user)) });
      if (r.status !== 200) throw new Error(`POST /api/login answered ${r.status}: ${r.text.slice(0, 300)}`);
      return JSON.parse(r.text);
    },
    monogoto: (user) => call('POST', '/Auth', { body: { UserName: `bench${user}`, Password: PASSWORD }, want: (j) => j.refreshToken }),
    edr: async (user) => {
      const jwt = await call('POST', '/mobile/v1/auth/edr', { body: creds(user), want: (j) => j.data });
      return call('POST', '/mobile/v1/auth/login', { body: { ...creds(user), jwt }, want: (j) => j.data?.refreshToken });
    },
  };
  return {
    agent,
    /** n logins of one dialect, spread over the users (each user one login at a time). */
    async many(dialect, n) {
      const out = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: USERS }, async (_, user) => {
          while (next < n) {
            next++;
            out.push(await logins[dialect](user));
          }
        }),
      );
      return out;
    },
    /** A fresh access token (for introspection: one per round, so none expires during the run). */
    async accessToken(refreshToken) {
      return call('GET', '/api/login/refresh', { headers: { authorization: `Bearer ${refreshToken}` }, want: (j) => j.access_token });
    },
    close: () => agent.destroy(),
  };
}

/**
 * Keeps each rotating dialect's file of unspent tokens at 2-3 pools' worth: wrk's rotate.lua leaves
 * the unspent ones in a file when it ends (requests in flight at the end lose theirs); a top-up logs in again.
 */
async function topUp(side, dialect, o) {
  const file = side.tokenFiles[dialect];
  const have = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const want = 2 * POOL_PER_THREAD * o.threads;
  if (have.length >= want) return;
  const more = await side.client.many(dialect, want + POOL_PER_THREAD * o.threads - have.length);
  fs.writeFileSync(file, [...have, ...more].join('\n') + '\n');
}

// ---------------------------------------------------------------- wrk

/** wrk's command line for one run of a phase (pinned to core 1 unless against the workers). */
function wrkArgs(phase, seconds, o, side) {
  const g = phase === 'workers' ? side.cluster : side.one;
  const url = `https://127.0.0.1:${g.httpPort}${PHASES[phase].path}`;
  const common = [WRK, `-t${o.threads}`, `-c${o.connections}`, `-d${seconds}s`, '--timeout', '5s'];
  const pin = phase === 'workers' ? [] : ['taskset', '-c', '1'];
  const script = (name, ...args) => [...pin, ...common, '-s', path.join(LUA, name), url, ...(args.length ? ['--', ...args] : [])];
  switch (phase) {
    case 'api':
      return script('get.lua');
    case 'refresh':
      return script('bearer.lua', side.tokenFiles.refresh);
    case 'workers':
      return script('bearer.lua', side.tokenFiles.workers);
    case 'refresh1k':
      return script('bearer.lua', side.tokenFiles.refresh1k);
    case 'monogoto':
    case 'edr':
      return script('rotate.lua', side.tokenFiles[phase], String(o.threads), `${side.tokenFiles[phase]}.left`);
    case 'introspect':
      return script('introspect.lua', side.tokenFiles.access, `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`);
    default:
      throw new Error(phase);
  }
}

/** Busy and total clock ticks of core 0 (/proc/stat; USER_HZ is 100). */
function core0Ticks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').match(/^cpu0 (.*)$/m)[1].trim().split(/\s+/).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}

/** The main thread's time on a CPU and waiting in a run queue for one, in ns (/proc/PID/task/PID/schedstat). */
function mainThreadSched(pid) {
  try {
    const [onCpu, waiting] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { onCpu, waiting };
  } catch {
    return { onCpu: NaN, waiting: NaN };
  }
}

/** Involuntary context switches (preemptions) of every thread of these processes (/proc/PID/task/TID/status). */
function preemptions(pids) {
  let n = 0;
  for (const pid of pids) {
    let tasks = [];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        n += Number(fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8').match(/^nonvoluntary_ctxt_switches:\s+(\d+)/m)[1]);
      } catch {
        // A thread that ended in between.
      }
    }
  }
  return n;
}

/**
 * wrk through a shell that, once wrk exited, prints its own children's CPU time (fields cutime and
 * cstime of /proc/<shell>/stat, which now hold wrk's): the load generator's share of the machine.
 */
function withLoadgenCpu(argv) {
  return ['sh', '-c', '"$@"; s=$?; echo "LOADGEN_CPU $(cut -d")" -f2 /proc/$$/stat | cut -d" " -f15,16)"; exit $s', 'sh', ...argv];
}

async function wrkOnce(phase, seconds, o, side) {
  if (phase === 'monogoto' || phase === 'edr') await topUp(side, phase, o);
  const g = phase === 'workers' ? side.clusterServer : side.server;
  const pids = g.pids();
  const cpu0 = pids.map(cpuSeconds);
  const core0 = core0Ticks();
  const sched0 = mainThreadSched(g.pid);
  const preempted0 = preemptions(pids);
  const from = monoUs();
  const r = await runLoadgen(withLoadgenCpu(wrkArgs(phase, seconds, o, side)), (seconds + 60) * 1000);
  const to = monoUs();
  const cpu = pids.map(cpuSeconds).reduce((a, c, i) => a + (c - cpu0[i]), 0);
  const preempted = preemptions(pids) - preempted0;
  const loadgenTicks = (r.stdout.match(/^LOADGEN_CPU (\d+) (\d+)$/m) ?? []).slice(1).map(Number);
  const core1 = core0Ticks();
  const sched1 = mainThreadSched(g.pid);
  const wallNs = (to - from) * 1000;
  const line = r.stdout.split('\n').find((l) => l.startsWith('BENCH '));
  if (r.status !== 0 || !line) throw new Error(`wrk ${phase} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  const w = JSON.parse(line.slice(6));
  const pool = r.stdout.split('\n').find((l) => l.startsWith('POOL '));
  if (pool) fs.renameSync(`${side.tokenFiles[phase]}.left`, side.tokenFiles[phase]);
  const secondsRun = w.us / 1e6;
  // A script's own judgement (rotate, introspect) includes wrk's non-2xx count; others have only wrk's.
  // A window in which no answer completed (the server stalled for the whole window) is not a valid one either.
  const stalled = w.requests === 0 ? 1 : 0;
  const nonOk = Math.max(w.failures, w.status) + w.connect + w.read + w.write + w.timeout + stalled;
  return {
    phase,
    window: [from, to],
    rate: (w.requests - Math.max(w.failures, w.status)) / secondsRun,
    requests: w.requests,
    nonOk,
    errors: { status: w.status, judged: w.failures, connect: w.connect, read: w.read, write: w.write, timeout: w.timeout, ...(stalled ? { noAnswerInWindow: 1 } : {}) },
    p50Ms: w.p50 / 1000,
    p99Ms: w.p99 / 1000,
    maxMs: w.max / 1000,
    serverPct: (100 * cpu) / ((to - from) / 1e6),
    // Core 0's busy time not charged to the gateway: other processes of the shared host on the server's core
    // (meaningful for the pinned one-process gateway; the workers run on both cores).
    othersOnCore0Pct: Math.max(0, (100 * ((core1.busy - core0.busy) / 100 - (phase === 'workers' ? 0 : cpu))) / ((to - from) / 1e6)),
    serverUsPerOp: w.requests ? (cpu * 1e6) / w.requests : NaN,
    // wrk's own CPU (user + system, USER_HZ 100) in % of one core: what it leaves the gateway of the machine.
    loadgenPct: loadgenTicks.length === 2 ? (loadgenTicks[0] + loadgenTicks[1]) / ((to - from) / 1e6) : NaN,
    // The gateway's threads taken off a CPU while runnable (another process woke up on it), per request.
    preemptionsPerOp: w.requests ? preempted / w.requests : NaN,
    // The one process's main thread (the event loop): on a CPU, runnable but waiting for one (the host's
    // other processes), and the rest: blocked in a system call (disk) or idle, waiting for requests.
    loopOnCpuPct: phase === 'workers' ? NaN : (100 * (sched1.onCpu - sched0.onCpu)) / wallNs,
    loopWaitingPct: phase === 'workers' ? NaN : (100 * (sched1.waiting - sched0.waiting)) / wallNs,
    poolLeft: pool ? JSON.parse(pool.slice(5)) : null,
  };
}

async function runPhase(phase, o, side) {
  if (phase === 'introspect') fs.writeFileSync(side.tokenFiles.access, `${await side.client.accessToken(side.reusable)}\n`);
  if (o.warmup > 0) {
    const w = await wrkOnce(phase, o.warmup, o, side);
    if (w.nonOk) log(`warm-up ${phase}: ${w.nonOk} non-OK answers ${JSON.stringify(w.errors)}`);
  }
  return wrkOnce(phase, o.duration, o, side);
}

// ---------------------------------------------------------------- summary and report

function summarise(results, phases) {
  const by = {};
  for (const phase of phases) {
    const rs = results.filter((r) => r.phase === phase);
    by[phase] = {
      rate: median(rs.map((r) => r.rate)),
      min: Math.min(...rs.map((r) => r.rate)),
      max: Math.max(...rs.map((r) => r.rate)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      serverPct: median(rs.map((r) => r.serverPct)),
      serverUs: median(rs.map((r) => r.serverUsPerOp).filter(Number.isFinite)),
      othersPct: median(rs.map((r) => r.othersOnCore0Pct)),
      loopOnCpuPct: median(rs.map((r) => r.loopOnCpuPct)),
      loopWaitingPct: median(rs.map((r) => r.loopWaitingPct)),
      loadgenPct: median(rs.map((r) => r.loadgenPct).filter(Number.isFinite)),
      preemptionsPerOp: median(rs.map((r) => r.preemptionsPerOp).filter(Number.isFinite)),
      nonOk: rs.reduce((a, r) => a + r.nonOk, 0),
    };
  }
  const ratios = {};
  for (const [k, [num, den, target, label]] of Object.entries(RATIOS)) {
    if (!by[num] || !by[den]) continue;
    const perRound = [];
    const cpuPerRound = [];
    const ceilingPerRound = [];
    for (const round of [...new Set(results.map((r) => r.round))]) {
      const n = results.find((r) => r.phase === num && r.round === round);
      const d = results.find((r) => r.phase === den && r.round === round);
      if (!n || !d) continue;
      perRound.push(n.rate / d.rate);
      if (Number.isFinite(d.serverUsPerOp / n.serverUsPerOp)) cpuPerRound.push(d.serverUsPerOp / n.serverUsPerOp);
      // The workers' ceiling: every core-second wrk left them, spent at the one process's CPU per request.
      if (k === 'workers' && Number.isFinite(n.loadgenPct)) ceilingPerRound.push((os.cpus().length * 100 - n.loadgenPct) / d.serverPct);
    }
    ratios[k] = {
      label, num, den, target, headline: median(perRound), interval: medianInterval(perRound), perRound,
      // The same from server CPU per request: what the rates would give with the server on its core throughout.
      cpu: median(cpuPerRound), cpuInterval: medianInterval(cpuPerRound), cpuPerRound,
      ...(ceilingPerRound.length ? { ceiling: median(ceilingPerRound), ceilingInterval: medianInterval(ceilingPerRound) } : {}),
    };
  }
  return { by, ratios };
}

function writeReport(o, facts, results, summary, profile, phases, against) {
  const { by, ratios } = summary;
  const L = [];
  const valid = phases.every((p) => by[p].nonOk === 0);
  const interval = (r) => (Number.isFinite(r.interval[0]) ? ` (90 % interval ${fmt(r.interval[0], 2)}–${fmt(r.interval[1], 2)})` : ' (no interval: fewer than 3 rounds)');
  const verdict = (r) => (!Number.isFinite(r.headline) ? 'not measured' : r.headline >= r.target ? '**meets**' : '**misses**');
  L.push('# HTTP bridge: refresh, introspection and the workers against `GET /api`', '');
  L.push(`Generated by \`node bench/http.js\` (part of \`npm run bench\`) on ${facts.date}: ${facts.model}, ${facts.nproc} cores, Node ${facts.node}, wrk ${facts.wrk}; server code: dist/ built after ${facts.distCommit}, the last commit to src/ before it (HEAD ${facts.commit}${facts.dirty ? `, ${facts.dirty} uncommitted change(s) in src/` : ''}). See bench/README.md for what each phase measures.`, '');
  L.push('## Summary', '');
  L.push('| figure | ratio (median of the rounds) | target | verdict | p99 latency, numerator (ms) | same ratio from server CPU per request |', '|---|---:|---:|---|---:|---:|');
  for (const r of Object.values(ratios)) {
    L.push(`| ${r.label} (${fmt(by[r.num].rate)} / ${fmt(by[r.den].rate)} req/s) | **${fmt(r.headline, 2)}**${interval(r)} | ≥ ${r.target} | ${verdict(r)} | ${fmt(by[r.num].p99Ms, 1)} | ${fmt(r.cpu, 2)}${Number.isFinite(r.cpuInterval[0]) ? ` (${fmt(r.cpuInterval[0], 2)}–${fmt(r.cpuInterval[1], 2)})` : ''} |`);
  }
  if (ratios.workers) L.push('', `With \`--workers auto\` the refresh rate is ${fmt(by.workers.rate)} req/s, ${fmt(by.workers.rate / 16300, by.workers.rate < 1630 ? 3 : 2)}× the 16,300/s datarhei Core v16.15 (Go) served on this machine kind (issue 13; not measured here).`);
  if (ratios.workers && Number.isFinite(ratios.workers.ceiling)) {
    const w = ratios.workers;
    const iv = Number.isFinite(w.ceilingInterval[0]) ? ` (${fmt(w.ceilingInterval[0], 2)}–${fmt(w.ceilingInterval[1], 2)})` : '';
    L.push('', `The workers share the ${facts.nproc} cores with wrk, which took ${fmt(by.workers.loadgenPct)} % of one core in that phase (${fmt(by.refresh.loadgenPct)} % on its own core against the one process). Had the workers had all the rest and each request cost what it costs the one process, the ratio would be **${fmt(w.ceiling, 2)}**${iv}: the most this machine allows with its load generator on board. The workers used ${fmt(by.workers.serverPct)} % and paid ${fmt(by.workers.serverUs, 1)} µs per request against ${fmt(by.refresh.serverUs, 1)} µs; their threads were preempted ${fmt(by.workers.preemptionsPerOp, 2)} times per request against ${fmt(by.refresh.preemptionsPerOp, 2)} for the pinned process (each switch between the processes costs caches and, with this kernel's page-table isolation, the TLB).`);
  }
  L.push('', valid ? 'Valid run: every answer in the measured windows was OK (rotating refreshes: 200 with a next token; introspection: 200 with `"active":true`).' : '**INVALID RUN: some answers in the measured windows were not OK (see the table per round).**');
  L.push('', 'Each ratio is the median of its per-round ratios (both phases of a round run within a minute or two of each other, the order alternating between rounds); the interval is a 90 % percentile bootstrap over the rounds. The last column divides the baseline\'s server CPU per request by the numerator\'s: what the rate ratio would be with the server saturating its core in both phases, less sensitive to CPU the shared host takes away (for `workers` it compares CPU per request of the one process with that of all the worker processes together: 1.0 = no extra cost per request from running several). Password logins against the raw argon2id rate, with the event loop\'s p99 delay, are measured by the identity part (bench/identity).', '');
  if (against) {
    L.push(`## This code against ${o.against}`, '');
    L.push(`Every phase also ran against gateways of the checkout at ${o.against} (same settings, its own certificates, data and tokens), right before or after this code's window in every round (which went first alternating by round). Each figure is this code over that code: the median of the per-round ratios with its 90 % interval; above 1 this code is faster.`, '');
    L.push('| phase | rate ratio | from server CPU per request | req/s, this / that | p99 ms, this / that |', '|---|---:|---:|---:|---:|');
    for (const [p, c] of Object.entries(against)) {
      const iv = (x) => (Number.isFinite(x[0]) ? ` (${fmt(x[0], 2)}–${fmt(x[1], 2)})` : '');
      L.push(`| ${PHASES[p].title} | **${fmt(c.rate, 2)}**${iv(c.interval)} | ${fmt(c.cpu, 2)}${iv(c.cpuInterval)} | ${fmt(c.thisRate)} / ${fmt(c.thatRate)} | ${fmt(c.thisP99Ms, 1)} / ${fmt(c.thatP99Ms, 1)} |`);
    }
    L.push('');
  }
  L.push('## Per phase (medians over the rounds)', '');
  L.push('| phase | req/s | min – max | p50 ms | p99 ms | server CPU | others on core 0 | event loop thread: on CPU / waiting for a CPU / blocked or idle | server CPU / request | wrk CPU | preemptions / request | non-OK |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const loop = (x) => (Number.isFinite(x.loopOnCpuPct) ? `${fmt(x.loopOnCpuPct)} / ${fmt(x.loopWaitingPct)} / ${fmt(Math.max(0, 100 - x.loopOnCpuPct - x.loopWaitingPct))} %` : '');
  for (const p of phases) {
    const b = by[p];
    L.push(`| ${PHASES[p].title} | ${fmt(b.rate)} | ${fmt(b.min)} – ${fmt(b.max)} | ${fmt(b.p50Ms, 2)} | ${fmt(b.p99Ms, 2)} | ${fmt(b.serverPct)} % | ${p === 'workers' ? '' : `${fmt(b.othersPct)} %`} | ${loop(b)} | ${fmt(b.serverUs, 1)} µs | ${fmt(b.loadgenPct)} % | ${fmt(b.preemptionsPerOp, 2)} | ${b.nonOk} |`);
  }
  L.push('', 'Server CPU is the gateway\'s user + system time (all its processes, /proc/PID/stat) over the wrk run, in % of one core; one process is pinned to core 0, so near 100 % means the server was the limit. "Others on core 0" is core 0\'s busy time (/proc/stat) not charged to the gateway: other processes of the shared host competing with the pinned server (high values mean the rates measure the host, not the gateway; the CPU-per-request ratios hold up better). The event loop thread\'s time (/proc/PID/task/PID/schedstat) splits each window three ways: running, runnable but waiting for the CPU (the host\'s other processes), and neither: blocked in a system call (e.g. the disk) or idle for want of requests. With 32 connections always waiting for an answer, a large third part means the server waits on something other than the CPU. "wrk CPU" is the load generator\'s own user + system time in % of one core; "preemptions / request" counts the gateway\'s threads taken off a CPU while they could still run (/proc/PID/task/TID/status, nonvoluntary_ctxt_switches).', '');
  L.push('### Every round', '', '| round | phase | req/s | p99 ms | server CPU | others on core 0 | event loop: on CPU / waiting / blocked or idle | server CPU / request | non-OK |', '|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) L.push(`| ${r.round} | ${r.phase} | ${fmt(r.rate)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.serverPct)} % | ${r.phase === 'workers' ? '' : `${fmt(r.othersOnCore0Pct)} %`} | ${loop(r)} | ${fmt(r.serverUsPerOp, 1)} µs | ${r.nonOk}${r.nonOk ? ` ${JSON.stringify(r.errors)}` : ''} |`);
  L.push('', '## Setup', '');
  L.push(`- ${o.rounds} round(s); each phase ${o.warmup} s of warm-up (a separate wrk run) then ${o.duration} s measured; odd rounds run the phases in the order ${phases.join(', ')}, even rounds in the reverse order.`);
  L.push(`- wrk \`-t${o.threads} -c${o.connections}\`, HTTPS (TLS 1.3, kept-alive connections; wrk does not check the certificate), one request in flight per connection; its p99 is the latency at the rate it measured (closed loop).`);
  L.push('- One process: `taskset -c 0 node bin/master-gateway.js serve`, wrk `taskset -c 1`. `workers`: a second gateway (its own certificates and data), `serve --workers auto` and wrk both unpinned, so the workers, the primary and wrk share the two cores; its ratio is against the pinned one-process `refresh` of the same round.');
  L.push(`- Gateway settings: GATEWAY_LOG_LEVEL=${o.logLevel} (${o.logLevel === 'info' ? 'the default: one access-log line per request, to a file' : 'not the default'}), the operations listener on (metrics counted), SQLite store (the default), argon2id at 1 MiB / 1 pass (only the logins that make the tokens use it; none is measured here), lockout threshold 1000.`);
  L.push(`- Tokens: ${USERS} users; \`refresh1k\` uses ${DISTINCT} refresh tokens from as many datarhei logins; the rotating phases start each wrk run from ≥ ${POOL_PER_THREAD} unspent tokens per thread (logins made beforehand, then whatever the previous run left) and count any non-200 answer as non-OK; introspection uses a fresh datarhei access token per round.`);
  if (profile) {
    L.push('', '## Profile (one extra round on a fresh server under `node --cpu-prof`)', '');
    L.push(`${profile.note} The profiled round is not in the figures above. Shares are of the samples with JavaScript (or GC/VM) on the main thread; "outside JS" is native I/O (TLS, sockets) or idle.`, '');
    for (const p of phases) {
      const ph = profile.phases[p];
      if (!ph) continue;
      L.push(`### ${PHASES[p].title}`, '', ...(p === 'workers' && profile.workersNote ? [profile.workersNote, ''] : []), `${ph.samples} samples, ${fmt(ph.outsideJsPct, 1)} % outside JS; top self time:`, '', '| function | where | self % | native code: called from |', '|---|---|---:|---|');
      for (const f of ph.top) L.push(`| \`${f.name}\` | ${f.where} | ${fmt(f.pct, 1)} | ${calledFrom(profile, p, f)} |`);
      L.push('', 'Gateway functions (dist/) by inclusive time: ' + ph.gatewayFunctions.map(([k, v]) => `\`${k}\` ${fmt(v, 1)} %`).join(', '), '');
    }
  }
  L.push('', '## Rerun', '', '```', 'apt-get install -y wrk util-linux', 'npm run build', 'node bench/http.js                  # this part alone → bench/out/http-REPORT.md', 'node bench/http.js --quick --profile', '```', '');
  fs.writeFileSync(o.report, L.join('\n'));
}

/**
 * For the native frames of a profile (a syscall such as `stat` or `writeString` says little alone):
 * per phase window and native function name, the nearest caller in the gateway (dist/) or a package,
 * with its share of that function's samples.
 */
function nativeCallers(file, windows) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const callerOf = (id) => {
    for (let p = parent.get(id); p != null; p = parent.get(p)) {
      const { functionName, url, lineNumber } = nodes.get(p).callFrame;
      const m = url.match(/\/(dist\/.*)$/) ?? url.match(/node_modules\/(.*)$/);
      if (m) return `${functionName || '(anonymous)'} (${m[1]}:${lineNumber + 1})`;
    }
    return 'no gateway or package caller';
  };
  const out = {};
  let t = prof.startTime;
  for (let s = 0; s < prof.samples.length; s++) {
    t += prof.timeDeltas[s];
    const w = windows.find((x) => t >= x.from && t <= x.to);
    if (!w) continue;
    const { functionName, url } = nodes.get(prof.samples[s]).callFrame;
    if (url || !functionName || functionName.startsWith('(')) continue;
    const byFn = (out[w.phase] ??= {});
    const callers = (byFn[functionName] ??= new Map());
    const c = callerOf(prof.samples[s]);
    callers.set(c, (callers.get(c) ?? 0) + 1);
  }
  for (const byFn of Object.values(out)) {
    for (const [fn, callers] of Object.entries(byFn)) {
      const total = [...callers.values()].reduce((a, b) => a + b, 0);
      byFn[fn] = [...callers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([c, n]) => [c, (100 * n) / total]);
    }
  }
  return out;
}

/** "called from" for a top entry of the profile that is native code. */
function calledFrom(profile, phase, entry) {
  if (!entry.name.endsWith(' (native)')) return '';
  const callers = profile.callers?.[phase]?.[entry.name.slice(0, -' (native)'.length)];
  return callers ? callers.map(([c, pct]) => `${c}${callers.length > 1 ? ` ${fmt(pct)} %` : ''}`).join('; ') : '';
}

// ---------------------------------------------------------------- main

function facts() {
  const git = (args) => sh('git', args, { cwd: ROOT }).stdout.trim();
  const distBuilt = fs.statSync(path.join(ROOT, 'dist', 'cli', 'main.js')).mtime.toISOString();
  return {
    date: new Date().toISOString(),
    model: os.cpus()[0].model,
    nproc: os.cpus().length,
    node: process.version,
    wrk: (sh(WRK, ['-v']).stdout + sh(WRK, ['-v']).stderr).match(/wrk (\S+)/)?.[1] ?? '?',
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain', '--', 'src']).split('\n').filter(Boolean).length,
    // dist/ is what runs: the last commit that changed the server's sources before dist/ was built.
    distCommit: git(['log', '-1', `--before=${distBuilt}`, '--format=%h', '--', 'src', 'proto', 'package.json']),
  };
}

/** Lines of a server log at warn or above, or not from pino (a Node warning, a stack trace). */
function complaints(file) {
  const out = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    let level = -1;
    try {
      level = JSON.parse(line).level ?? 0;
    } catch {}
    if (level >= 40 || level === -1) out.push(line.slice(0, 300));
  }
  return out;
}

/**
 * One code under test: its one-process gateway (and `--workers auto` gateway), their tokens and their
 * client. `this` runs bin/ of this checkout; with --against, `that` runs the other checkout's.
 */
function newSide(dir, name, root) {
  const prefix = name === 'this' ? '' : `${name}-`;
  return {
    name,
    root,
    cli: path.join(root, 'bin', 'master-gateway.js'),
    prefix,
    tokenFiles: Object.fromEntries(['refresh', 'refresh1k', 'monogoto', 'edr', 'access', 'workers'].map((k) => [k, path.join(dir, `${prefix}tokens-${k}.txt`)])),
  };
}

/** Certificates, data, users, the running gateways and the tokens every phase needs. */
async function prepareSide(side, o, dir, logs) {
  const { phases } = o;
  side.one = prepareGateway(dir, `${side.prefix}one`, side.cli);
  side.server = await startGateway(side.one, o, { logFile: path.join(dir, `${side.prefix}one.log`) });
  logs.push(side.server.logFile);
  log(`${side.name}: one process pid ${side.server.pid}, https://127.0.0.1:${side.one.httpPort} (core 0; wrk on core 1), ${path.relative(ROOT, side.cli) || side.cli}`);
  side.client = client(side.one);
  const started = Date.now();
  const [first] = await side.client.many('datarhei', 1);
  side.reusable = first.refresh_token;
  fs.writeFileSync(side.tokenFiles.refresh, `${side.reusable}\n`);
  if (phases.includes('refresh1k')) {
    const distinct = await side.client.many('datarhei', DISTINCT);
    fs.writeFileSync(side.tokenFiles.refresh1k, distinct.map((t) => t.refresh_token).join('\n') + '\n');
  }
  for (const d of ['monogoto', 'edr']) if (phases.includes(d)) await topUp(side, d, o);
  log(`${side.name}: tokens ready (${fmt((Date.now() - started) / 1000, 1)} s of logins)`);
  if (o.workers) {
    side.cluster = prepareGateway(dir, `${side.prefix}workers`, side.cli);
    side.clusterServer = await startGateway(side.cluster, o, { workers: 'auto', logFile: path.join(dir, `${side.prefix}workers.log`) });
    logs.push(side.clusterServer.logFile);
    const c = client(side.cluster);
    fs.writeFileSync(side.tokenFiles.workers, `${(await c.many('datarhei', 1))[0].refresh_token}\n`);
    c.close();
    log(`${side.name}: workers auto, primary pid ${side.clusterServer.pid} (unpinned), https://127.0.0.1:${side.cluster.httpPort}`);
  }
}

async function stopSide(side) {
  for (const s of [side.server, side.clusterServer]) if (s && !s.exited()) await s.stop().catch((e) => log(String(e)));
}

/** The profiled round (this code only): fresh gateways under --cpu-prof, one window per phase. */
async function profileRound(side, o, dir, logs) {
  const { phases } = o;
  const profDir = path.join(dir, 'prof');
  fs.mkdirSync(profDir);
  side.server = await startGateway(side.one, o, { profileDir: profDir, logFile: path.join(dir, 'one-profiled.log') });
  logs.push(side.server.logFile);
  side.client.close();
  side.client = client(side.one);
  log(`profiled round: pid ${side.server.pid} under --cpu-prof`);
  const windows = [];
  for (const phase of phases.filter((p) => p !== 'workers')) {
    const r = await runPhase(phase, o, side);
    windows.push({ phase, from: r.window[0], to: r.window[1] });
    log(`profiled ${phase.padEnd(10)} ${fmt(r.rate).padStart(7)} req/s`);
  }
  await side.server.stop();
  let profile = null;
  const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (file) {
    profile = analyseProfile(path.join(profDir, file), windows, side.server.startMono);
    profile.callers = nativeCallers(path.join(profDir, file), windows);
  } else log('no .cpuprofile was written');
  if (o.workers && profile) {
    // Cluster workers inherit the primary's --cpu-prof: one profile per process; the busiest in the window is shown.
    const workersDir = path.join(dir, 'prof-workers');
    fs.mkdirSync(workersDir);
    side.clusterServer = await startGateway(side.cluster, o, { workers: 'auto', profileDir: workersDir, logFile: path.join(dir, 'workers-profiled.log') });
    logs.push(side.clusterServer.logFile);
    const r = await runPhase('workers', o, side);
    log(`profiled workers    ${fmt(r.rate).padStart(7)} req/s`);
    await side.clusterServer.stop();
    const ws = [{ phase: 'workers', from: r.window[0], to: r.window[1] }];
    const each = fs.readdirSync(workersDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => ({ file: path.join(workersDir, f), p: analyseProfile(path.join(workersDir, f), ws, side.clusterServer.startMono) }));
    const busiest = each.filter((x) => x.p.phases.workers).sort((a, b) => b.p.phases.workers.jsSamples - a.p.phases.workers.jsSamples)[0];
    if (busiest) {
      profile.phases.workers = busiest.p.phases.workers;
      profile.callers.workers = nativeCallers(busiest.file, ws).workers;
      profile.workersNote = `The workers phase: ${each.length} profiles (the primary and each worker); shown is the busiest process in the window (${busiest.p.phases.workers.jsSamples} samples with JavaScript; the others ${each.filter((x) => x !== busiest).map((x) => x.p.phases.workers?.jsSamples ?? 0).join(', ')}).`;
    } else log('no profile of the workers phase');
  }
  return profile;
}

/** With --against: per phase, this code's rate (and CPU per request) over the other code's, round by round. */
function compareSides(results, phases) {
  const out = {};
  for (const phase of phases) {
    const rate = [];
    const cpu = [];
    for (const round of [...new Set(results.map((r) => r.round))]) {
      const a = results.find((r) => r.side === 'this' && r.phase === phase && r.round === round);
      const b = results.find((r) => r.side === 'that' && r.phase === phase && r.round === round);
      if (!a || !b) continue;
      rate.push(a.rate / b.rate);
      if (Number.isFinite(b.serverUsPerOp / a.serverUsPerOp)) cpu.push(b.serverUsPerOp / a.serverUsPerOp);
    }
    const of = (side) => results.filter((r) => r.side === side && r.phase === phase);
    out[phase] = {
      rate: median(rate), interval: medianInterval(rate), cpu: median(cpu), cpuInterval: medianInterval(cpu),
      thisRate: median(of('this').map((r) => r.rate)), thatRate: median(of('that').map((r) => r.rate)),
      thisP99Ms: median(of('this').map((r) => r.p99Ms)), thatP99Ms: median(of('that').map((r) => r.p99Ms)),
    };
  }
  return out;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  // The gateways and CLI calls get only the settings below: a GATEWAY_DATABASE_URL or GATEWAY_CONFIG from the
  // caller's shell would put the bench on another store or configuration.
  for (const k of Object.keys(process.env)) if (k.startsWith('GATEWAY_')) delete process.env[k];
  preflightWrk();
  ensureServerBuilt(false);
  const { phases } = o;
  fs.mkdirSync(OUT, { recursive: true });
  for (const d of fs.readdirSync(OUT)) if (d.startsWith('http-run-')) fs.rmSync(path.join(OUT, d), { recursive: true, force: true });
  const dir = path.join(OUT, `http-run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  log(`run dir ${path.relative(ROOT, dir)}`);
  const sides = [newSide(dir, 'this', ROOT), ...(o.against ? [newSide(dir, 'that', o.against)] : [])];
  const [self] = sides;
  const logs = [];
  const results = [];
  let profile = null;
  try {
    for (const side of sides) await prepareSide(side, o, dir, logs);
    for (let round = 1; round <= o.rounds; round++) {
      const order = round % 2 ? phases : [...phases].reverse();
      // With --against, each phase runs on both codes back to back, which goes first alternating by round.
      const sideOrder = round % 2 ? sides : [...sides].reverse();
      for (const phase of order) {
        for (const side of sideOrder) {
          for (const s of [side.server, side.clusterServer]) if (s?.exited()) throw new Error(`a gateway exited during the run: ${JSON.stringify(s.exited())} (log ${s.logFile})`);
          const r = { round, side: side.name, ...(await runPhase(phase, o, side)) };
          results.push(r);
          log(`round ${round} ${sides.length > 1 ? `${side.name} ` : ''}${phase.padEnd(10)} ${fmt(r.rate).padStart(7)} req/s  p99 ${fmt(r.p99Ms, 1)} ms  server ${fmt(r.serverPct)}%  others on core 0 ${fmt(r.othersOnCore0Pct)}%  loop cpu/wait ${fmt(r.loopOnCpuPct)}/${fmt(r.loopWaitingPct)}%  non-OK ${r.nonOk}`);
        }
      }
    }
    for (const side of sides) await stopSide(side);
    if (o.profile) profile = await profileRound(self, o, dir, logs);
  } finally {
    for (const side of sides) {
      side.client?.close();
      await stopSide(side);
    }
  }

  const mine = results.filter((r) => r.side === 'this');
  const summary = summarise(mine, phases);
  const against = o.against ? compareSides(results, phases) : null;
  const f = facts();
  writeReport(o, f, mine, summary, profile, phases, against);
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ facts: f, options: o, phases, results, summary, against, profile }, null, 2));
  const serverComplaints = logs.flatMap(complaints);
  if (serverComplaints.length) log(`server logs: ${serverComplaints.length} line(s) at warn or above, e.g.\n  ${[...new Set(serverComplaints)].slice(0, 3).join('\n  ')}`);
  if (!o.keep) for (const file of logs) fs.rmSync(file, { force: true }); // the access log is large
  const valid = results.every((r) => r.nonOk === 0);
  const { by, ratios } = summary;
  if (o.json) fs.writeFileSync(o.json, JSON.stringify({ valid, rates: by, ratios, against }, null, 2));
  const lines = [''];
  for (const p of phases) lines.push(`${p.padEnd(10)} ${fmt(by[p].rate).padStart(7)} req/s  p99 ${fmt(by[p].p99Ms, 1).padStart(6)} ms  server ${fmt(by[p].serverPct)}%  ${fmt(by[p].serverUs, 1)} µs/req  non-OK ${by[p].nonOk}`);
  for (const r of Object.values(ratios)) lines.push(`  ${r.label}: ${fmt(r.headline, 2)} (90 % interval ${fmt(r.interval[0], 2)}–${fmt(r.interval[1], 2)}; target >= ${r.target}; from server CPU ${fmt(r.cpu, 2)}, ${fmt(r.cpuInterval[0], 2)}–${fmt(r.cpuInterval[1], 2)}${Number.isFinite(r.ceiling) ? `; ceiling with wrk on the same cores ${fmt(r.ceiling, 2)}` : ''})`);
  if (against) {
    lines.push('', `this code / ${o.against} (rates; from server CPU per request):`);
    for (const [p, c] of Object.entries(against)) lines.push(`  ${p.padEnd(10)} ${fmt(c.rate, 2)} (${fmt(c.interval[0], 2)}–${fmt(c.interval[1], 2)}); ${fmt(c.cpu, 2)} (${fmt(c.cpuInterval[0], 2)}–${fmt(c.cpuInterval[1], 2)})   ${fmt(c.thisRate)} vs ${fmt(c.thatRate)} req/s`);
  }
  if (profile) {
    for (const p of phases) {
      const ph = profile.phases[p];
      if (!ph) continue;
      lines.push('', `profile ${p}: ${ph.samples} samples, ${fmt(ph.outsideJsPct, 1)} % outside JS; top self time (% of JS samples):`);
      for (const t of ph.top) {
        const from = calledFrom(profile, p, t);
        lines.push(`  ${fmt(t.pct, 1).padStart(5)}  ${t.name}  ${t.where}${from ? `  ← ${from}` : ''}`);
      }
    }
  }
  lines.push(`report: ${path.relative(process.cwd(), o.report)}`, '');
  process.stdout.write(lines.join('\n'));
  if (!valid) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  process.exit(1);
});

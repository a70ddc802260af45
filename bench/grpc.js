#!/usr/bin/env node
'use strict';
/**
 * The gRPC part of `npm run bench` (bench/run.js runs it; it also runs alone). Plain Node, no dependencies.
 *
 * One server process (pinned to core 0, CPU-profiled), load from a C++ load generator (pinned to
 * core 1), six phases run in interleaved rounds:
 *   trivial    warm mTLS channels, grpc.health.v1.Health/Check          (gRPC C++ client)
 *   getlist    warm mTLS channels, gsdk.gateway.Gateway/GetList with the metadata "token" from
 *              one Login made first (an authenticated call)             (gRPC C++ client)
 *   tokencall  warm mTLS channels, the trivial call carrying the same "token" metadata (nothing
 *              checks it): what carrying the token costs, apart from checking it (gRPC C++ client)
 *   login      warm mTLS channels, gsdk.login.Login/Login               (gRPC C++ client)
 *   handshake  new TCP + mTLS handshake, then close                      (OpenSSL client)
 *   connlogin  new TCP + mTLS handshake + one Login over HTTP/2, close   (OpenSSL + nghttp2)
 * Writes its report (--report) and bench/out/run-<time>/results.json; prints the summary.
 *
 * Options: --rounds N (12) --warmup S (2) --duration S (10) --channels N (8) --inflight N (256)
 *          --concurrency N (16) --server-key rsa|ec (rsa) --no-profile --no-perf --build --keep --quick
 *          --min-bound N (3) --extra-rounds N (4): after the planned rounds, run up to N more while a
 *          headline ratio has fewer than --min-bound server-bound rounds (the host is shared)
 *          --report FILE (bench/out/grpc-REPORT.md) --json FILE (headline figures, for bench/run.js)
 *          --render out/run-<time>/results.json   (rewrite the report from a finished run's figures)
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { analyseProfile, categoryTable, OUTSIDE_JS } = require('./profile');
const { perfAvailable, startPerf, summarisePerf } = require('./perf');
const {
  ROOT, OUT, LOADGEN, CLI, APT_PACKAGES, GATEWAYS,
  fail, log, parseOptions, preflight, buildLoadgen, ensureServerBuilt, freePort, sleep, canConnect, monoUs, median, medianInterval, fmt, machineFacts, runLoadgen, rssMiB, issueCertificates,
} = require('./lib');

const TARGETS = { login: 0.5, getlist: 0.9, connlogin: 0.8 };

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const o = {
    rounds: 12, warmup: 2, duration: 10, channels: 8, inflight: 256, concurrency: 16, minBound: 3, extraRounds: 4,
    serverKey: 'rsa', profile: true, perf: true, build: false, keep: false, report: path.join(OUT, 'grpc-REPORT.md'), json: null,
  };
  parseOptions(argv, o, __filename, (a, take) => {
    if (a === '--concurrency') o.concurrency = Math.round(take.num());
    else if (a === '--server-key') o.serverKey = take.next();
    else if (a === '--no-profile') o.profile = false;
    else if (a === '--no-perf') o.perf = false;
    else if (a === '--build') o.build = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--min-bound') o.minBound = Math.round(take.num());
    else if (a === '--extra-rounds') o.extraRounds = Number(take.next()) || 0;
    else if (a === '--quick') Object.assign(o, { rounds: 1, warmup: 1, duration: 3, extraRounds: 0 });
    else if (a === '--render') o.render = path.resolve(take.next());
    else return false;
    return true;
  });
  if (!['rsa', 'ec'].includes(o.serverKey)) fail('--server-key must be rsa or ec');
  return o;
}

// ---------------------------------------------------------------- the run

const PHASE_INFO = {
  trivial: { title: 'Trivial call (health Check), warm channels', unit: 'calls/s' },
  getlist: { title: 'Authenticated call (Gateway.GetList with token), warm channels', unit: 'calls/s' },
  tokencall: { title: 'Trivial call carrying the token metadata (not checked), warm channels', unit: 'calls/s' },
  login: { title: 'Login, warm channels', unit: 'calls/s' },
  handshake: { title: 'Bare mTLS handshake (new connection)', unit: 'conn/s' },
  connlogin: { title: 'New connection + Login', unit: 'conn/s' },
};

function loadgenArgs(phase, o, ctx) {
  const common = ['--ca', ctx.ca, '--cert', ctx.cert, '--key', ctx.key, '--warmup', String(o.warmup), '--duration', String(o.duration), '--server-pid', String(ctx.pid)];
  const login = ['--method', '/gsdk.login.Login/Login', '--field1-file', ctx.cert, '--expect-body', '1'];
  const target = `127.0.0.1:${ctx.port}`;
  switch (phase) {
    case 'trivial':
      return ['unary', '--target', target, '--method', '/grpc.health.v1.Health/Check', '--channels', String(o.channels), '--inflight', String(o.inflight), ...common];
    case 'getlist':
      return [
        'unary', '--target', target, '--method', '/gsdk.gateway.Gateway/GetList',
        '--login-method', '/gsdk.login.Login/Login', '--login-field1-file', ctx.cert, '--expect-field1-count', String(GATEWAYS.length),
        '--channels', String(o.channels), '--inflight', String(o.inflight), ...common,
      ];
    case 'tokencall':
      return [
        'unary', '--target', target, '--method', '/grpc.health.v1.Health/Check', '--login-method', '/gsdk.login.Login/Login', '--login-field1-file', ctx.cert,
        '--channels', String(o.channels), '--inflight', String(o.inflight), ...common,
      ];
    case 'login':
      return ['unary', '--target', target, ...login, '--channels', String(o.channels), '--inflight', String(o.inflight), ...common];
    case 'handshake':
      return ['handshake', '--host', '127.0.0.1', '--port', String(ctx.port), '--concurrency', String(o.concurrency), ...common];
    case 'connlogin':
      return ['h2call', '--host', '127.0.0.1', '--port', String(ctx.port), ...login, '--concurrency', String(o.concurrency), ...common];
    default:
      throw new Error(phase);
  }
}


/** Odd rounds run the phases in one order, even rounds in the other, so no phase always follows the same one. */
const PHASE_ORDER = [
  ['trivial', 'getlist', 'tokencall', 'login', 'handshake', 'connlogin'],
  ['login', 'tokencall', 'getlist', 'trivial', 'connlogin', 'handshake'],
];

async function runPhase(phase, round, o, ctx) {
  const args = ['taskset', '-c', '1', LOADGEN, ...loadgenArgs(phase, o, ctx)];
  const rssBefore = rssMiB(ctx.pid);
  const run = runLoadgen(args, (o.warmup + o.duration + 90) * 1000);
  let perf = null;
  if (ctx.perf) {
    // perf covers the measured window, give or take 0.3 s at each end.
    await sleep((o.warmup + 0.3) * 1000);
    const file = path.join(ctx.perfDir, `${phase}-r${round}.data`);
    perf = startPerf(ctx.pid, file, Math.max(0.5, o.duration - 0.6)).then((r) => ({ ...r, file }));
  }
  const r = await run;
  if (perf) {
    const p = await perf;
    if (p.code === 0) ctx.perfFiles.push({ phase, round, file: p.file });
    else log(`perf record failed for ${phase}: ${p.stderr.trim()}`);
  }
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) throw new Error(`loadgen ${phase} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  if (r.stderr.trim()) log(`loadgen ${phase}: ${r.stderr.trim()}`);
  const res = JSON.parse(line);
  const serverCpu = res.serverCpu.user + res.serverCpu.sys;
  const loadgenCpu = res.loadgenCpu.user + res.loadgenCpu.sys;
  const core0 = res.cores[0] ?? { busy: NaN };
  return {
    phase,
    ...res,
    rssBefore,
    rssAfter: rssMiB(ctx.pid),
    serverUsPerOp: (serverCpu * 1e6) / res.ok,
    loadgenUsPerOp: (loadgenCpu * 1e6) / res.ok,
    // Core 0 runs only the server: tick-sampled busy time not charged to the server's own CPU
    // time is time the host took the vCPU away (this VM reports no steal).
    stealPct: (100 * Math.max(0, core0.busy - serverCpu)) / res.seconds,
    // Core 1 also runs perf and the kernel's share of loopback traffic, so this is an upper bound.
    core1UnaccountedPct: res.cores[1] ? (100 * Math.max(0, res.cores[1].busy - loadgenCpu)) / res.seconds : NaN,
    errorCount: Object.values(res.errors).reduce((a, b) => a + b, 0),
    warmupErrorCount: Object.values(res.warmupErrors).reduce((a, b) => a + b, 0),
  };
}

async function startServer(ctx, o, extraEnv = {}) {
  const logFd = fs.openSync(ctx.serverLog, 'w');
  const nodeArgs = o.profile ? ['--cpu-prof', '--cpu-prof-dir', ctx.profDir] : [];
  ctx.serverStartMono = monoUs();
  const child = spawn('taskset', ['-c', '0', process.execPath, ...nodeArgs, CLI, 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      GATEWAY_CERT_DIR: ctx.certDir,
      GATEWAY_DATA_DIR: ctx.dataDir,
      GATEWAY_GRPC_HOST: '127.0.0.1',
      GATEWAY_GRPC_PORT: String(ctx.port),
      GATEWAY_HTTP_PORT: '-1', // the HTTP bridge has its own benchmark (bench/identity)
      GATEWAY_LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  // The "serving" line is info level, so at warn the port is chosen here and polled.
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(ctx.port))) {
    if (exited) throw new Error(`server exited at start (${JSON.stringify(exited)}):\n${fs.readFileSync(ctx.serverLog, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`server did not listen on ${ctx.port} within 30 s`);
    await sleep(100);
  }
  return {
    child,
    pid: child.pid,
    exited: () => exited,
    async stop() {
      if (exited) return exited;
      child.kill('SIGTERM');
      const until = Date.now() + 60_000;
      while (!exited && Date.now() < until) await sleep(100);
      if (!exited) {
        child.kill('SIGKILL');
        await sleep(500);
        return { code: null, signal: 'SIGKILL (did not drain within 60 s)' };
      }
      return exited;
    },
  };
}

function prepareRunDir(o) {
  fs.mkdirSync(OUT, { recursive: true });
  if (!o.keep) {
    for (const d of fs.readdirSync(OUT)) if (d.startsWith('run-')) fs.rmSync(path.join(OUT, d), { recursive: true, force: true });
  }
  const dir = path.join(OUT, `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const ctx = {
    dir,
    certDir: path.join(dir, 'certs'),
    dataDir: path.join(dir, 'data'),
    profDir: path.join(dir, 'prof'),
    perfDir: path.join(dir, 'perf'),
    perfFiles: [],
    serverLog: path.join(dir, 'server.log'),
  };
  for (const d of [ctx.certDir, ctx.dataDir, ctx.profDir, ctx.perfDir]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  return ctx;
}


/** A window measured the server (not the host's hiccups): its core busy with it, little stolen. */
const serverBound = (r) => r.serverCpu.pct >= 90 && r.stealPct < 10;
/** Pairs behind the headline ratios (numerator phase, denominator phase). */
const RATIO_PAIRS = {
  login: ['login', 'trivial'],
  getlist: ['getlist', 'trivial'],
  getlistLogin: ['getlist', 'login'],
  connlogin: ['connlogin', 'handshake'],
  // Diagnostics: GetList / trivial split into carrying the token and checking it (plus the handler).
  tokenTrivial: ['tokencall', 'trivial'],
  getlistToken: ['getlist', 'tokencall'],
};

/** Number of rounds in which both phases of each headline pair were server-bound. */
function boundRoundCounts(results) {
  const out = {};
  for (const [k, [num, den]] of Object.entries(RATIO_PAIRS)) {
    const rounds = [...new Set(results.map((r) => r.round))];
    out[k] = rounds.filter((i) => {
      const n = results.find((r) => r.phase === num && r.round === i);
      const d = results.find((r) => r.phase === den && r.round === i);
      return n && d && serverBound(n) && serverBound(d);
    }).length;
  }
  return out;
}

/** Only the server-bound windows of a phase when it has any (the others mix in idle time). */
function boundWindows(results) {
  return results.filter((r) => serverBound(r) || !results.some((q) => q.phase === r.phase && serverBound(q)));
}

function summarise(results) {
  const roundNums = [...new Set(results.map((r) => r.round))].sort((a, b) => a - b);
  const by = {};
  for (const phase of Object.keys(PHASE_INFO)) {
    const rs = results.filter((r) => r.phase === phase);
    const bound = rs.filter(serverBound);
    by[phase] = {
      runs: rs,
      rate: median(rs.map((r) => r.rate)),
      // The rate of the windows that measured the server (NaN when none did).
      rateBound: median(bound.map((r) => r.rate)),
      nBound: bound.length,
      min: Math.min(...rs.map((r) => r.rate)),
      max: Math.max(...rs.map((r) => r.rate)),
      serverPct: median(rs.map((r) => r.serverCpu.pct)),
      loadgenPct: median(rs.map((r) => r.loadgenCpu.pct)),
      loadgenPctMax: Math.max(...rs.map((r) => r.loadgenCpu.pct)),
      serverUs: median(rs.map((r) => r.serverUsPerOp)),
      loadgenUs: median(rs.map((r) => r.loadgenUsPerOp)),
      steal: median(rs.map((r) => r.stealPct)),
      errors: rs.reduce((a, r) => a + r.errorCount, 0),
      warmupErrors: rs.reduce((a, r) => a + r.warmupErrorCount, 0),
      errorDetail: rs.reduce((acc, r) => {
        for (const [k, v] of Object.entries(r.errors)) acc[k] = (acc[k] ?? 0) + v;
        return acc;
      }, {}),
    };
  }
  // A round's pair is "server-bound" when the server used >= 90 % of its core in both phases and
  // the host took < 10 % of it: then the rates measure the server, not hiccups of the host.
  const bound = serverBound;
  const ratio = (num, den) => {
    const perRound = [];
    const boundRounds = [];
    for (const i of roundNums) {
      const n = results.find((r) => r.phase === num && r.round === i);
      const d = results.find((r) => r.phase === den && r.round === i);
      if (n && d) {
        perRound.push(n.rate / d.rate);
        if (bound(n) && bound(d)) boundRounds.push({ round: i, ratio: n.rate / d.rate });
      }
    }
    const basis = boundRounds.length ? boundRounds.map((b) => b.ratio) : perRound;
    return {
      ofMedians: by[num].rate / by[den].rate,
      perRound,
      medianPerRound: median(perRound),
      boundRounds,
      medianBound: median(boundRounds.map((b) => b.ratio)),
      // The headline: server-bound rounds when there are any, else all rounds.
      headline: median(basis),
      // How far the headline could move with other rounds like these (the host is noisy).
      interval: medianInterval(basis),
      nBasis: basis.length,
      headlineBasis: boundRounds.length ? `median of the ${boundRounds.length} server-bound round(s) (${boundRounds.map((b) => b.round).join(', ')})` : 'median of all rounds; UNRELIABLE: no round had both phases server-bound, rerun on a quieter machine',
      // Round 1 only, from server CPU per operation: the fresh server (no connection history yet).
      round1Cpu: (() => {
        const n = results.find((r) => r.phase === num && r.round === 1);
        const d = results.find((r) => r.phase === den && r.round === 1);
        return n && d ? d.serverUsPerOp / n.serverUsPerOp : NaN;
      })(),
      // Same ratio from server CPU per operation: the rate ratio a saturated, undisturbed core gives.
      cpu: by[den].serverUs / by[num].serverUs,
    };
  };
  return {
    by,
    ratios: Object.fromEntries(Object.entries(RATIO_PAIRS).map(([k, [num, den]]) => [k, ratio(num, den)])),
  };
}

// ---------------------------------------------------------------- report

/** The figures bench/run.js puts in the combined summary. */
function headlines({ by, ratios }) {
  const rate = (p) => (by[p].nBound ? by[p].rateBound : by[p].rate);
  return {
    valid: Object.values(by).every((p) => p.errors === 0),
    rates: Object.fromEntries(Object.keys(PHASE_INFO).map((p) => [p, { rate: rate(p), unit: PHASE_INFO[p].unit, serverUs: by[p].serverUs, nBound: by[p].nBound, n: by[p].runs.length }])),
    ratios: Object.fromEntries(
      Object.entries(ratios).map(([k, r]) => [k, { headline: r.headline, interval: r.interval, nBasis: r.nBasis, basis: r.headlineBasis, boundRounds: r.boundRounds.length, cpu: r.cpu, target: TARGETS[k] ?? null }]),
    ),
  };
}

function writeReport(file, facts, o, ctx, results, summary, profile, server, perf) {
  const { by, ratios } = summary;
  const L = [];
  const verdict = (r, t, basis) => (basis && !basis.boundRounds.length ? 'not judged: no server-bound round' : r >= t ? `**meets** ≥ ${t}` : `**misses** ≥ ${t}`);
  const valid = Object.values(by).every((p) => p.errors === 0);
  const headCell = (r) => `**${fmt(r.headline, 2)}**${Number.isFinite(r.interval[0]) ? ` (90 % interval ${fmt(r.interval[0], 2)}–${fmt(r.interval[1], 2)})` : ''}`;
  const hsCpu = results.filter((r) => r.phase === 'handshake').map((r) => r.serverUsPerOp);
  const ageing = hsCpu.length > 1 && hsCpu[hsCpu.length - 1] > 1.15 * hsCpu[0];
  L.push('# gRPC: Login, the authenticated call and new connections', '');
  L.push(`Generated by \`node bench/grpc.js\` (part of \`npm run bench\`) on ${facts.date}. See bench/README.md for what each phase measures.`, '');
  L.push('## Summary', '');
  L.push('| figure | median | target | verdict |', '|---|---:|---:|---|');
  const rateCell = (p) => `${fmt(by[p].nBound ? by[p].rateBound : by[p].rate)} ${PHASE_INFO[p].unit}${by[p].nBound ? ` (${by[p].nBound} server-bound windows; all ${by[p].runs.length}: ${fmt(by[p].rate)})` : ' (all windows; none server-bound)'}`;
  L.push(`| warm Login | ${rateCell('login')} | | |`);
  L.push(`| warm trivial call (health Check) | ${rateCell('trivial')} | | |`);
  L.push(`| warm authenticated call (Gateway.GetList with token) | ${rateCell('getlist')} | | |`);
  L.push(`| **Login / trivial** (${ratios.login.headlineBasis}) | ${headCell(ratios.login)} | ≥ ${TARGETS.login} | ${verdict(ratios.login.headline, TARGETS.login, ratios.login)} |`);
  L.push(`| **authenticated call / trivial** (${ratios.getlist.headlineBasis}) | ${headCell(ratios.getlist)} | ≥ ${TARGETS.getlist} | ${verdict(ratios.getlist.headline, TARGETS.getlist, ratios.getlist)} |`);
  L.push(`| **authenticated call / Login** (${ratios.getlistLogin.headlineBasis}) | ${headCell(ratios.getlistLogin)} | | |`);
  L.push(`| trivial call carrying the token, not checking it | ${rateCell('tokencall')} | | |`);
  L.push(`| trivial call carrying the token / trivial (the cost of carrying it) (${ratios.tokenTrivial.headlineBasis}) | ${fmt(ratios.tokenTrivial.headline, 2)} | | |`);
  L.push(`| authenticated call / trivial call carrying the token (the cost of checking it, and of the handler) (${ratios.getlistToken.headlineBasis}) | ${fmt(ratios.getlistToken.headline, 2)} | | |`);
  L.push(`| new connection + Login | ${rateCell('connlogin')} | | |`);
  L.push(`| bare mTLS handshake | ${rateCell('handshake')} | | |`);
  L.push(`| **new connection + Login / bare handshake** (${ratios.connlogin.headlineBasis}) | ${headCell(ratios.connlogin)} | ≥ ${TARGETS.connlogin} | ${verdict(ratios.connlogin.headline, TARGETS.connlogin, ratios.connlogin)} |`);
  // Judged on its own only when the server aged (then the later rounds flatter the ratio); otherwise it is one round of the headline's.
  L.push(`| new connection + Login / bare handshake, fresh server (round 1, from server CPU per operation) | ${fmt(ratios.connlogin.round1Cpu, 2)} | ${ageing ? `≥ ${TARGETS.connlogin}` : ''} | ${ageing ? (ratios.connlogin.round1Cpu >= TARGETS.connlogin ? '**meets**' : '**misses**') + ` ≥ ${TARGETS.connlogin}` : 'one round of the headline\'s (the server did not age)'} |`);
  L.push('');
  L.push(
    ageing
      ? `The bare handshake gets dearer as the server ages (${fmt(hsCpu[0])} → ${fmt(hsCpu[hsCpu.length - 1])} µs of server CPU from the first round to the last; see "Server health during the run"), which lifts the later rounds' connection ratio; the round-1 row is the fresh-server figure and is judged on its own.`
      : `The bare handshake's server CPU did not rise as the server aged (${hsCpu.map((v) => fmt(v)).join(' → ')} µs per handshake, rounds 1…${hsCpu.length}), so round 1 and the other rounds measure the same server; the round-1 row is shown, not judged.`,
  );
  L.push('');
  L.push(
    'Each headline is the median of the per-round ratios; its 90 % interval is a percentile bootstrap over those rounds (resampled 4,000 times): on this host a single 10 s round moves a ratio by about ±0.05, so a figure within the interval\'s width of its target is on the target, not clearly above or below it.',
  );
  L.push('');
  L.push(
    valid
      ? 'Valid run: every counted response was OK (non-OK responses in the measured windows: 0).'
      : '**INVALID RUN: some responses in the measured windows were not OK (see the error table).**',
  );
  L.push('');
  L.push('Same ratios computed other ways (the host is noisy, see "Caveats"):', '');
  L.push('| ratio | server-bound rounds | of the median rates | median per round (all) | per round | from server CPU per operation |', '|---|---:|---:|---:|---|---:|');
  for (const [k, label] of [['login', 'Login / trivial'], ['getlist', 'authenticated call (GetList) / trivial'], ['getlistLogin', 'authenticated call (GetList) / Login'], ['tokenTrivial', 'trivial call carrying the token / trivial'], ['getlistToken', 'authenticated call / trivial call carrying the token'], ['connlogin', 'new connection + Login / bare handshake']]) {
    const r = ratios[k];
    L.push(`| ${label} | ${r.boundRounds.length ? `${fmt(r.medianBound, 2)} (${r.boundRounds.length})` : 'none'} | ${fmt(r.ofMedians, 2)} | ${fmt(r.medianPerRound, 2)} | ${r.perRound.map((x) => fmt(x, 2)).join(', ')} | ${fmt(r.cpu, 2)} |`);
  }
  L.push('', 'A round counts as server-bound for a pair when, in both phases, the server used at least 90 % of its core and the estimated host steal on core 0 was under 10 %. When the server is not saturated, the rate measures the host\'s hiccups (a stalled load generator starves the server) rather than the server.');
  L.push('');
  L.push('## Machine and setup', '');
  L.push(`- CPU: ${facts.model}, \`nproc\` = ${facts.nproc}${facts.hypervisor ? ' (virtual machine)' : ''}; ${facts.memGiB} GiB; Linux ${facts.kernel}`);
  L.push(`- Node ${facts.node} (its OpenSSL ${facts.nodeOpenssl}); load generator: gRPC C++ ${facts.grpcpp}, OpenSSL ${facts.openssl}, nghttp2 ${facts.nghttp2} (Debian packages)`);
  L.push(`- Server code: dist/ built ${facts.distBuilt}, after commit ${facts.distCommit}; HEAD at run time ${facts.commit}${facts.dirty ? ` with ${facts.dirty} uncommitted change(s) in src/proto/package.json` : ''}`);
  L.push(`- Server: \`taskset -c 0 node bin/master-gateway.js serve\`, GATEWAY_LOG_LEVEL=warn, fresh cert and data dirs, no profiler attached during the measured rounds${o.profile || o.perf ? '; then a second, fresh server with `--cpu-prof` and/or perf for one profiled round of every phase (the profile tables only)' : ''}; load generator: \`taskset -c 1 bench/out/loadgen …\``);
  L.push(`- Keys: CA ${ctx.keys.ca}; server certificate ${ctx.keys.server}; client (tenant) certificate ${ctx.keys.client}, used by every phase. Access tokens: ES256 JWTs.`);
  const hs = results.find((r) => r.phase === 'handshake');
  if (hs) L.push(`- Negotiated: ${hs.tlsVersion}, ${hs.cipher}, ALPN h2; no session resumption (every connection is a full handshake).`);
  const nRounds = new Set(results.map((r) => r.round)).size;
  L.push(`- Rounds: ${o.rounds} planned${nRounds > o.rounds ? ` + ${nRounds - o.rounds} extra (run because a headline ratio had fewer than ${o.minBound} server-bound rounds; at most ${o.extraRounds} extra)` : ''}, each phase ${o.warmup} s warm-up + ${o.duration} s measured; order alternates per round (odd: trivial, GetList, login, handshake, new conn + Login; even: login, GetList, trivial, new conn + Login, handshake), so GetList always sits next to both the trivial call and Login.`);
  L.push(`- Warm phases: ${o.channels} channels (separate connections: GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL + distinct args), ${o.inflight} calls in flight, gRPC C++ GenericStub on one completion queue. GetList: before its warm-up the load generator makes one Login on its first channel and sends the returned JWT as metadata \`token\` on every call (the token is bound to the certificate, which every channel presents); the tenant has ${GATEWAYS.length} gateways (${GATEWAYS.join(', ')}) and every OK answer is checked to list exactly ${GATEWAYS.length} IDs.`);
  L.push(`- Connection phases: ${o.concurrency} connections in flight; OpenSSL client (one SSL_CTX, P-256 client key); new conn + Login speaks HTTP/2 through libnghttp2 (one gRPC call, judged by grpc-status and a non-empty token).`);
  L.push('');
  L.push('## Figures per phase (medians over rounds)', '');
  L.push('| phase | rate (median) | server-bound windows: rate (n) | min – max | server CPU | loadgen CPU (max) | server CPU / op | loadgen CPU / op | core-0 steal est. | non-OK |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [phase, info] of Object.entries(PHASE_INFO)) {
    const p = by[phase];
    L.push(
      `| ${info.title} | ${fmt(p.rate)} ${info.unit} | ${p.nBound ? `${fmt(p.rateBound)} (${p.nBound})` : 'none'} | ${fmt(p.min)} – ${fmt(p.max)} | ${fmt(p.serverPct)} % | ${fmt(p.loadgenPct)} % (${fmt(p.loadgenPctMax)} %) | ${fmt(p.serverUs, 1)} µs | ${fmt(p.loadgenUs, 1)} µs | ${fmt(p.steal)} % | ${p.errors}${p.warmupErrors ? ` (+${p.warmupErrors} in warm-up)` : ''} |`,
    );
  }
  L.push('');
  L.push('CPU is the process\'s own user+system time over the measured window (server from /proc/PID/stat, load generator from getrusage), in % of one core. "core-0 steal est." is the tick-sampled busy time of core 0 that was not charged to the server process: time the hypervisor took the vCPU away, or CPU used by other processes on core 0 (this machine is shared with other sessions’ builds and tests).');
  const errs = Object.entries(PHASE_INFO).filter(([p]) => by[p].errors > 0);
  if (errs.length) {
    L.push('', '### Non-OK responses', '', '| phase | status | count |', '|---|---|---:|');
    for (const [p] of errs) for (const [k, v] of Object.entries(by[p].errorDetail)) L.push(`| ${p} | ${k} | ${v} |`);
  }
  L.push('', '### Every round', '', '| round | phase | rate | server CPU | loadgen CPU | core-0 steal est. | core-1 busy not charged to the loadgen | server CPU / op | server RSS after | non-OK |', '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    L.push(`| ${r.round} | ${r.phase} | ${fmt(r.rate)} | ${fmt(r.serverCpu.pct)} % | ${fmt(r.loadgenCpu.pct)} % | ${fmt(r.stealPct)} % | ${fmt(r.core1UnaccountedPct)} % | ${fmt(r.serverUsPerOp, 1)} µs | ${fmt(r.rssAfter)} MiB | ${r.errorCount} |`);
  }
  L.push('', 'Core 1 also carries the kernel\'s share of loopback traffic (and perf, in the profiled pass), so its column is an upper bound on steal there.');
  L.push('');
  L.push('## Is the load generator the bottleneck?', '');
  const lgWorst = Math.max(...Object.values(by).map((p) => p.loadgenPctMax));
  L.push(
    `The load generator's CPU stayed at or below ${fmt(lgWorst)} % of its core in every window, while the server's CPU per operation is ${fmt(by.trivial.serverUs / by.trivial.loadgenUs, 1)}× (trivial), ${fmt(by.getlist.serverUs / by.getlist.loadgenUs, 1)}× (GetList), ${fmt(by.login.serverUs / by.login.loadgenUs, 1)}× (Login), ${fmt(by.handshake.serverUs / by.handshake.loadgenUs, 1)}× (handshake) and ${fmt(by.connlogin.serverUs / by.connlogin.loadgenUs, 1)}× (new conn + Login) the load generator's. ` +
      'Server CPU near 100 % means the server was the limit; where it is lower, the missing time was either stolen by the host (steal column) or the server was idle waiting for work.',
  );
  L.push('');
  L.push('## Profile: what bounds Login and the authenticated call', '');
  if (!profile) L.push('No profile (run with profiling off, or no .cpuprofile was written).');
  else {
    L.push(
      'The profiles come from a separate pass: one round of every phase on a second, fresh server with the profilers attached, after the measured rounds. The profilers slow the server by 8–17 %, not evenly across phases, so no headline figure is taken from the profiled pass; the µs-per-operation tables below apply its shares to the measured rounds\' server CPU per operation.',
      '',
    );
    L.push(profile.note, '');
    if (profile.windowsUsed) {
      L.push(
        `Windows counted (profile and perf alike): only the server-bound windows of a phase that has any, since in the others the server's idle time mixes into the "outside JS" row: ${Object.entries(profile.windowsUsed)
          .map(([p, [used, all]]) => `${p} round(s) ${used.join(', ')} (${used.length} of ${all})`)
          .join('; ')}.`,
        '',
      );
    }
    L.push(`Self time by category, % of the server main thread's samples in each phase's measured windows (V8 sampling profiler, ~${profile.intervalUs} µs interval). V8 cannot see native work that libuv I/O callbacks do before they call into JavaScript (TLS handshakes, TLS record encryption, socket reads and writes): it samples that as "(idle)", shown here as "${OUTSIDE_JS}". The server's CPU was near 100 % in every phase, so that row is mostly native work; the perf section below splits it.`, '');
    L.push(categoryTable(profile.phases, Object.keys(PHASE_INFO)));
    const perOp = costByCategory(profile, by);
    if (perOp) {
      L.push('', 'The same shares turned into server CPU per operation (share × the phase\'s median server CPU per operation; approximate: the profile samples the main thread only), and what GetList and Login add to the trivial call:', '');
      L.push(perOp.table);
    }
    // Per phase: what is on the stack, the gateway's own functions, and the top self time.
    const phaseTables = (phase, label, { inclusive = true, stackLabel = label, selfNote = '', top = Infinity } = {}) => {
      const p = profile.phases[phase];
      if (!p || p.samples === 0) return;
      if (inclusive) {
        L.push('', `${stackLabel}, inclusive (% of the samples with JavaScript running that have that code anywhere on the stack):`, '');
        L.push('| on the stack | % |', '|---|---:|');
        for (const [k, v] of p.inclusive) L.push(`| ${k} | ${fmt(v, 1)} |`);
        L.push('', `${label}, gateway functions (dist/) by inclusive time:`, '');
      } else {
        L.push('', `${label}, gateway functions (dist/) by inclusive time (% of the samples with JavaScript running):`, '');
      }
      L.push('| function | inclusive % |', '|---|---:|');
      for (const [k, v] of p.gatewayFunctions) L.push(`| \`${k}\` | ${fmt(v, 1)} |`);
      L.push('', `${label}, top functions by self time (% of the samples with JavaScript running${selfNote}):`, '');
      L.push('| function | where | self % |', '|---|---|---:|');
      for (const f of p.top.slice(0, top)) L.push(`| \`${f.name}\` | ${f.where} | ${fmt(f.pct, 1)} |`);
    };
    phaseTables('getlist', 'Warm GetList', { stackLabel: 'Warm GetList (authenticated call)' });
    phaseTables('login', 'Warm Login', { selfNote: '; native code called from JavaScript counts in its caller' });
    phaseTables('connlogin', 'New connection + Login', { inclusive: false, top: 10 });
    if (profile.findings.length) {
      L.push('', '### Reading', '');
      for (const f of profile.findings) L.push(`- ${f}`);
    }
  }
  if (perf) {
    const cols = Object.keys(PHASE_INFO).filter((p) => perf[p]);
    L.push('', '## Native profile (perf)', '');
    L.push('`perf record -e cpu-clock -F 999 -p <server>` during every measured window (all threads of the server process, no call graphs); self samples grouped by symbol. Node\'s binary carries OpenSSL, V8 and libuv with their symbols; JIT-compiled JavaScript shows as one group.', '');
    const groups = new Map();
    for (const p of cols) for (const [k, v] of perf[p].groups) groups.set(k, Math.max(groups.get(k) ?? 0, v));
    L.push(`| group (% of samples) | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`);
    for (const [k] of [...groups.entries()].sort((a, b) => b[1] - a[1])) {
      L.push(`| ${k} | ${cols.map((p) => fmt(perf[p].groups.find(([g]) => g === k)?.[1] ?? 0, 1)).join(' | ')} |`);
    }
    L.push(`| *(samples)* | ${cols.map((p) => perf[p].samples).join(' | ')} |`);
    L.push('', 'µs of server CPU per operation by group (share × median server CPU per operation):', '');
    L.push(`| group | ${cols.join(' | ')} | getlist − trivial | login − trivial | connlogin − handshake |`, `|---|${cols.map(() => '---:').join('|')}|---:|---:|---:|`);
    const usOf = (p, k) => ((perf[p]?.groups.find(([g]) => g === k)?.[1] ?? 0) / 100) * by[p].serverUs;
    for (const [k] of [...groups.entries()].sort((a, b) => b[1] - a[1])) {
      L.push(`| ${k} | ${cols.map((p) => fmt(usOf(p, k), 1)).join(' | ')} | ${fmt(usOf('getlist', k) - usOf('trivial', k), 1)} | ${fmt(usOf('login', k) - usOf('trivial', k), 1)} | ${fmt(usOf('connlogin', k) - usOf('handshake', k), 1)} |`);
    }
    L.push(`| **total (server CPU / op)** | ${cols.map((p) => `**${fmt(by[p].serverUs, 1)}**`).join(' | ')} | **${fmt(by.getlist.serverUs - by.trivial.serverUs, 1)}** | **${fmt(by.login.serverUs - by.trivial.serverUs, 1)}** | **${fmt(by.connlogin.serverUs - by.handshake.serverUs, 1)}** |`);
    for (const p of ['trivial', 'getlist', 'login', 'connlogin']) {
      if (!perf[p]) continue;
      L.push('', `Top native symbols, ${PHASE_INFO[p].title}:`, '');
      L.push('| symbol | object | % |', '|---|---|---:|');
      for (const t of perf[p].top.slice(0, 15)) L.push(`| \`${t.sym.slice(0, 80)}\` | ${t.dso} | ${fmt(t.pct, 1)} |`);
    }
  }
  L.push('', '## Server health during the run', '');
  L.push(`- Server exit after SIGTERM: ${JSON.stringify(server.exit)}; pino lines at warn or above: ${server.warnLines} (errors: ${server.errorLines}); other output lines (Node warnings, traces): ${server.otherLines ?? 0}.`);
  const rss = results.filter((r) => Number.isFinite(r.rssBefore));
  const hsRounds = results.filter((r) => r.phase === 'handshake');
  if (hsRounds.length > 1) {
    const first = hsRounds[0];
    const last = hsRounds[hsRounds.length - 1];
    L.push(`- Bare handshake cost over the server's life: ${hsRounds.map((r) => `${fmt(r.serverUsPerOp)} µs`).join(' → ')} of server CPU per handshake in rounds 1…${hsRounds.length} (RSS ${fmt(first.rssBefore)} → ${fmt(last.rssAfter)} MiB). A rising cost here inflates the later rounds' "new connection + Login / bare handshake" ratios; round 1 is the fresh-server figure (${fmt(ratios.connlogin.perRound[0], 2)}).`);
  }
  if (rss.length) {
    const conns = results.filter((r) => r.phase === 'handshake' || r.phase === 'connlogin').reduce((a, r) => a + r.ok * (1 + o.warmup / o.duration), 0);
    L.push(`- Server RSS: ${fmt(rss[0].rssBefore)} MiB before the first phase, ${fmt(rss[rss.length - 1].rssAfter)} MiB after the last (about ${fmt(conns)} connections opened and closed in between); after each round: ${[...new Set(results.map((r) => r.round))].map((n) => `${fmt(results.filter((r) => r.round === n).pop().rssAfter)}`).join(', ')} MiB.`);
    // RSS change while each phase ran (warm-up included), summed over the rounds.
    const perPhase = Object.keys(PHASE_INFO)
      .map((p) => {
        const rs = rss.filter((r) => r.phase === p);
        const grow = rs.reduce((a, r) => a + (r.rssAfter - r.rssBefore), 0);
        const isConn = p === 'handshake' || p === 'connlogin';
        const n = isConn ? rs.reduce((a, r) => a + r.ok * (1 + o.warmup / o.duration), 0) : 0;
        return `${p} ${grow >= 0 ? '+' : ''}${fmt(grow, 1)} MiB (${rs.map((r) => `${r.round}: ${r.rssAfter - r.rssBefore >= 0 ? '+' : ''}${fmt(r.rssAfter - r.rssBefore, 1)}`).join(', ')})${isConn && n ? `, ${fmt((grow * 1024 * 1024) / n, 0)} B per connection` : ''}`;
      })
      .join('; ');
    L.push(`- RSS change during each phase (summed over rounds; per round in brackets): ${perPhase}. Warm phases swing RSS by tens of MiB (V8's young and old generations grow under 256 calls in flight and shrink after a full GC), so single deltas are noisy; a native leak per connection shows as RSS that keeps climbing after the connection phases round after round.`);
    const after = (p) => rss.filter((r) => r.phase === p).map((r) => fmt(r.rssAfter)).join(', ');
    L.push(`- RSS after the connection phases, rounds 1…${new Set(results.map((r) => r.round)).size}: bare handshake ${after('handshake')} MiB; new connection + Login ${after('connlogin')} MiB.`);
  }
  for (const line of server.samples) L.push(`  - \`${line.slice(0, 300)}\``);
  L.push('', '## Caveats', '');
  L.push(
    '- This is a 2-vCPU virtual machine on a shared host. Its CPU time comes and goes: a spinning process can lose up to half of its wall time for seconds at a time, and neither /proc/stat steal nor the process CPU times show it directly (the steal estimate above is derived). Rates therefore vary between rounds; the ratios are taken per round (phases adjacent in time, order alternated) and as medians, and are also given from server CPU per operation, which is less sensitive to stolen time.',
    '- No profiler runs during the measured rounds. With `--cpu-prof` and perf attached (the profiled pass) the server was 8 % slower on the trivial call and 17 % slower on GetList: ratios taken from a profiled server are not comparable.',
    '- Every warm Login repeats the full login (certificate checks, JWT issue) on a connection that has logged in before, as a client reconnecting its token would.',
    '- The authenticated call (GetList) reuses one token on warm connections: the server verifies its signature on the first call of each connection (8 per round, in the warm-up) and afterwards finds it in the connection\'s token cache; the figure is therefore the steady-state cost of an authenticated call, not of a token\'s first use.',
  );
  L.push('', '## Rerun', '', '```', 'apt-get update && apt-get install -y ' + APT_PACKAGES + ' linux-perf   # linux-perf is optional', 'npm run build        # if dist/ is missing or stale', 'npm run bench        # everything; this part alone: node bench/grpc.js --rounds 12 --duration 10', '```', '');
  fs.writeFileSync(file, L.join('\n'));
}

/** µs of server CPU per operation by profile category, per phase, plus the GetList and Login differences. */
function costByCategory(profile, by) {
  const ph = profile.phases;
  const cols = [
    ['trivial', (c) => us('trivial', c)],
    ['getlist', (c) => us('getlist', c)],
    ['getlist − trivial', (c) => us('getlist', c) - us('trivial', c)],
    ['login', (c) => us('login', c)],
    ['login − trivial', (c) => us('login', c) - us('trivial', c)],
    ['handshake', (c) => us('handshake', c)],
    ['connlogin', (c) => us('connlogin', c)],
    ['connlogin − handshake', (c) => us('connlogin', c) - us('handshake', c)],
  ];
  function us(phase, cat) {
    const p = ph[phase];
    if (!p) return NaN;
    const share = p.categories.find(([k]) => k === cat)?.[1] ?? 0;
    return (share / 100) * by[phase].serverUs;
  }
  if (!ph.login || !ph.trivial) return null;
  const cats = new Set();
  for (const p of Object.values(ph)) for (const [k] of p.categories) cats.add(k);
  const weight = (c) => ['getlist', 'login'].reduce((acc, p) => acc + (Math.abs(us(p, c) - us('trivial', c)) || 0), 0) + (Math.abs(us('connlogin', c) - us('handshake', c)) || 0);
  const rows = [...cats].sort((a, b) => weight(b) - weight(a));
  const L = [`| µs per operation | ${cols.map(([h]) => h).join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`];
  for (const c of rows) L.push(`| ${c} | ${cols.map(([, f]) => fmt(f(c), 1)).join(' | ')} |`);
  L.push(`| **total (server CPU / op)** | ${[by.trivial.serverUs, by.getlist.serverUs, by.getlist.serverUs - by.trivial.serverUs, by.login.serverUs, by.login.serverUs - by.trivial.serverUs, by.handshake.serverUs, by.connlogin.serverUs, by.connlogin.serverUs - by.handshake.serverUs].map((v) => `**${fmt(v, 1)}**`).join(' | ')} |`);
  const diff = (a, b) => rows.map((c) => [c, us(a, c) - us(b, c)]).sort((x, y) => y[1] - x[1]);
  return { table: L.join('\n'), loginExtra: diff('login', 'trivial'), getlistExtra: ph.getlist ? diff('getlist', 'trivial') : [], connExtra: diff('connlogin', 'handshake') };
}

function profileFindings(profile, by) {
  const out = [];
  const perOp = costByCategory(profile, by);
  const lp = profile.phases.login;
  if (!perOp || !lp) return out;
  const top = (list) => list.filter(([, v]) => v > 0).slice(0, 4).map(([k, v]) => `${k} +${fmt(v, 1)} µs`).join(', ');
  out.push(`Login costs the server ${fmt(by.login.serverUs, 1)} µs of CPU per call against ${fmt(by.trivial.serverUs, 1)} µs for the trivial call (+${fmt(by.login.serverUs - by.trivial.serverUs, 1)} µs). The extra goes to: ${top(perOp.loginExtra)}.`);
  const gp = profile.phases.getlist;
  if (gp) {
    out.push(
      `The authenticated call (GetList with a token) costs the server ${fmt(by.getlist.serverUs, 1)} µs of CPU per call against ${fmt(by.trivial.serverUs, 1)} µs for the trivial call (+${fmt(by.getlist.serverUs - by.trivial.serverUs, 1)} µs, ratio ${fmt(by.trivial.serverUs / by.getlist.serverUs, 2)}) and ${fmt(by.login.serverUs, 1)} µs for Login. The extra over the trivial call goes to: ${top(perOp.getlistExtra)}.`,
      `During warm GetList the gateway code (dist/) is on ${fmt(gp.inclusive.find(([k]) => k === 'gateway code (dist/)')?.[1] ?? 0, 1)} % of the samples with JavaScript running (${gp.gatewayFunctions.slice(0, 6).map(([k, v]) => `\`${k}\` ${fmt(v, 1)} %`).join(', ')}); JWT verification (jsonwebtoken) is on ${fmt(gp.inclusive.find(([k]) => k === 'JWT (jsonwebtoken/jws/jwa)')?.[1] ?? 0, 1)} % (verified once per connection, then found in the connection's token cache), the protobuf codec on ${fmt(gp.inclusive.find(([k]) => k === 'protobuf codec (@bufbuild)')?.[1] ?? 0, 1)} %, grpc-js on ${fmt(gp.inclusive.find(([k]) => k === 'grpc-js')?.[1] ?? 0, 1)} %.`,
    );
  }
  const topJs = lp.top.filter((f) => !f.where.startsWith('native'))[0];
  out.push(
    `During warm Login the busiest JavaScript-level function is \`${topJs?.name}\` (${topJs?.where}) with ${fmt(topJs?.pct, 1)} % of the samples with JavaScript running (native code it calls counts in it); on the stack: ${lp.inclusive.map(([k, v]) => `${k} ${fmt(v, 1)} %`).join(', ')}.`,
  );
  const cp = profile.phases.connlogin;
  if (cp && profile.phases.handshake) {
    out.push(`A new connection + Login costs ${fmt(by.connlogin.serverUs, 0)} µs against ${fmt(by.handshake.serverUs, 0)} µs for a bare handshake (+${fmt(by.connlogin.serverUs - by.handshake.serverUs, 0)} µs): ${top(perOp.connExtra)}.`);
    const fn = (re) => cp.gatewayFunctions.find(([k]) => re.test(k))?.[1] ?? 0;
    out.push(
      `On a new connection the gateway reads the client certificate once per connection: \`admit\` (the session's DER found in the certificate cache, else parsed by X509Certificate and checked against ca.crt; then the blacklist and the per-certificate connection count) is on ${fmt(fn(/^admit /), 1)} % of the JavaScript samples, \`checkClientCertificate\` (the tenantCert PEM compared with the connection's certificate) on ${fmt(fn(/^checkClientCertificate /), 1)} % and \`parsePemCertificate\` (a second X509 parse of the PEM, only when the bytes differ) on ${fmt(fn(/^parsePemCertificate /), 1)} %; token issuing (\`issue\`) on ${fmt(fn(/^issue /), 1)} %. Top self time: ${cp.top.slice(0, 5).map((f) => `\`${f.name}\` ${fmt(f.pct, 1)} %`).join(', ')}.`,
    );
  }
  return out;
}

// ---------------------------------------------------------------- main

/** The V8 profile cut to the measured windows (only the server-bound ones of a phase that has any). */
function profileOf(file, results, serverStartMono) {
  const used = boundWindows(results);
  const windows = used.map((r) => ({ phase: r.phase, from: r.windowMonoUs[0], to: r.windowMonoUs[1] }));
  const profile = analyseProfile(file, windows, serverStartMono);
  profile.windowsUsed = Object.fromEntries(Object.keys(PHASE_INFO).map((p) => [p, [used.filter((r) => r.phase === p).map((r) => r.round), results.filter((r) => r.phase === p).length]]));
  return profile;
}

/** perf samples of the same windows as the V8 profile, summarised per phase. */
function perfOf(perfFiles, results) {
  const used = new Set(boundWindows(results).map((r) => `${r.phase}/${r.round}`));
  const perf = {};
  for (const phase of Object.keys(PHASE_INFO)) {
    const files = perfFiles.filter((f) => f.phase === phase && used.has(`${phase}/${f.round}`) && fs.existsSync(f.file)).map((f) => f.file);
    if (files.length) perf[phase] = summarisePerf(files);
  }
  return Object.keys(perf).length ? perf : null;
}

function render(file, report) {
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  const o = { ...saved.options, report };
  const dir = path.dirname(file);
  // Re-cut the profiles when the run directory still holds them (the cut rules may have changed).
  const profDir = path.join(dir, 'prof');
  const profFile = fs.existsSync(profDir) && fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  // Runs from before the profiled pass existed profiled their measured rounds.
  const profiledResults = saved.profiledResults ?? saved.results;
  if (profFile) saved.profile = profileOf(path.join(profDir, profFile), profiledResults, saved.serverStartMono ?? null);
  const perfDir = path.join(dir, 'perf');
  const perfFiles =
    saved.perfFiles ??
    (fs.existsSync(perfDir)
      ? fs.readdirSync(perfDir).map((f) => f.match(/^(\w+)-r(\d+)\.data$/)).filter(Boolean).map((m) => ({ phase: m[1], round: Number(m[2]), file: path.join(perfDir, m[0]) }))
      : []);
  if (perfFiles.length) saved.perf = perfOf(perfFiles, profiledResults) ?? saved.perf;
  const summary = summarise(saved.results);
  if (saved.profile) saved.profile.findings = profileFindings(saved.profile, summary.by);
  writeReport(report, saved.facts, o, { keys: saved.keys }, saved.results, summary, saved.profile, saved.server, saved.perf);
  log(`wrote ${path.relative(process.cwd(), report)} from ${path.relative(process.cwd(), file)}`);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.render) return render(o.render, o.report);
  preflight();
  buildLoadgen();
  ensureServerBuilt(o.build);
  const facts = machineFacts();
  const ctx = prepareRunDir(o);
  log(`run dir ${path.relative(ROOT, ctx.dir)}`);
  issueCertificates(ctx, o);
  const perfWanted = o.perf && perfAvailable();
  if (o.perf && !perfWanted) log('perf not found (apt-get install -y linux-perf): native profile skipped');
  // The measured rounds run on a server with no profiler attached: V8's sampling profiler and perf
  // slowed the server by 8 % (trivial call) to 17 % (GetList), unevenly across phases, which moved
  // the ratios. The profiles come from a second pass on a second server, after the measured rounds.
  ctx.perf = false;
  ctx.port = await freePort();
  const server = await startServer(ctx, { ...o, profile: false });
  ctx.pid = server.pid;
  log(`server pid ${ctx.pid} on 127.0.0.1:${ctx.port} (core 0); load on core 1`);

  const results = [];
  let failure;
  try {
    for (let round = 1; ; round++) {
      if (round > o.rounds) {
        const counts = boundRoundCounts(results);
        const short = Object.entries(counts).filter(([, n]) => n < o.minBound);
        if (!short.length || round > o.rounds + o.extraRounds) break;
        log(`extra round ${round}: server-bound rounds so far ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ')} (want ${o.minBound})`);
      }
      const order = PHASE_ORDER[round % 2 ? 0 : 1];
      for (const phase of order) {
        if (server.exited()) throw new Error(`server exited during the run: ${JSON.stringify(server.exited())}`);
        const r = { round, ...(await runPhase(phase, round, o, ctx)) };
        results.push(r);
        log(
          `round ${round} ${phase.padEnd(9)} ${fmt(r.rate).padStart(7)} ${PHASE_INFO[phase].unit}  server ${fmt(r.serverCpu.pct)}%  loadgen ${fmt(r.loadgenCpu.pct)}%  steal~${fmt(r.stealPct)}%  non-OK ${r.errorCount}`,
        );
      }
    }
  } catch (err) {
    failure = err;
  }
  log('stopping the server (SIGTERM)');
  const exit = await server.stop();
  if (failure) {
    log(`server log: ${ctx.serverLog}`);
    throw failure;
  }
  const serverLogs = [ctx.serverLog];

  // The profiled pass: one round of every phase on a fresh server with the V8 profiler (and perf)
  // attached. Its windows feed the profile tables only, never the headline figures.
  const profiled = [];
  if (o.profile || perfWanted) {
    ctx.serverLog = path.join(ctx.dir, 'server-profiled.log');
    serverLogs.push(ctx.serverLog);
    ctx.port = await freePort();
    const profiledServer = await startServer(ctx, o);
    ctx.pid = profiledServer.pid;
    ctx.perf = perfWanted;
    log(`profiled pass: server pid ${ctx.pid}${o.profile ? ' with --cpu-prof' : ''}${perfWanted ? ', perf attached' : ''}`);
    try {
      for (const phase of PHASE_ORDER[0]) {
        if (profiledServer.exited()) throw new Error(`profiled server exited: ${JSON.stringify(profiledServer.exited())}`);
        const r = { round: 1, profiled: true, ...(await runPhase(phase, 1, o, ctx)) };
        profiled.push(r);
        log(`profiled ${phase.padEnd(9)} ${fmt(r.rate).padStart(7)} ${PHASE_INFO[phase].unit}  server ${fmt(r.serverCpu.pct)}%`);
      }
    } finally {
      await profiledServer.stop();
    }
  }

  const serverLines = serverLogs.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean));
  const levelOf = (l) => {
    try {
      return JSON.parse(l).level ?? 0;
    } catch {
      return -1; // not a pino line: a Node warning, a stack trace
    }
  };
  const warnLines = serverLines.filter((l) => levelOf(l) >= 40 || levelOf(l) === -1);
  const serverInfo = {
    exit,
    warnLines: warnLines.filter((l) => levelOf(l) >= 40).length,
    errorLines: warnLines.filter((l) => levelOf(l) >= 50).length,
    otherLines: warnLines.filter((l) => levelOf(l) === -1).length,
    samples: [...new Set(warnLines.map((l) => l.replace(/"time":\d+,?/, '').replace(/"pid":\d+,?/, '')))].slice(0, 5),
  };

  let profile = null;
  if (o.profile) {
    const files = fs.readdirSync(ctx.profDir).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length) {
      profile = profileOf(path.join(ctx.profDir, files[0]), profiled, ctx.serverStartMono);
    } else log('no .cpuprofile was written');
  }

  const summary = summarise(results);
  if (profile) profile.findings = profileFindings(profile, summary.by);
  let perf = null;
  if (ctx.perfFiles.length) perf = perfOf(ctx.perfFiles, profiled);
  fs.writeFileSync(path.join(ctx.dir, 'results.json'), JSON.stringify({ facts, options: o, keys: ctx.keys, serverStartMono: ctx.serverStartMono, perfFiles: ctx.perfFiles, results, profiledResults: profiled, summary: { ratios: summary.ratios }, server: serverInfo, profile, perf }, null, 2));
  writeReport(o.report, facts, o, ctx, results, summary, profile, serverInfo, perf);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(headlines(summary), null, 2));

  const { by, ratios } = summary;
  const lines = [
    '',
    `warm Login           ${fmt(by.login.nBound ? by.login.rateBound : by.login.rate).padStart(8)} calls/s   (server ${fmt(by.login.serverPct)}% CPU, loadgen ${fmt(by.login.loadgenPct)}%)`,
    `warm trivial call    ${fmt(by.trivial.nBound ? by.trivial.rateBound : by.trivial.rate).padStart(8)} calls/s   (server ${fmt(by.trivial.serverPct)}% CPU, loadgen ${fmt(by.trivial.loadgenPct)}%)`,
    `  Login / trivial = ${fmt(ratios.login.headline, 2)} [${ratios.login.headlineBasis}] (90 % interval ${fmt(ratios.login.interval[0], 2)}–${fmt(ratios.login.interval[1], 2)}; target >= ${TARGETS.login}; all rounds ${fmt(ratios.login.medianPerRound, 2)}, by server CPU ${fmt(ratios.login.cpu, 2)})`,
    `warm GetList (token) ${fmt(by.getlist.nBound ? by.getlist.rateBound : by.getlist.rate).padStart(8)} calls/s   (server ${fmt(by.getlist.serverPct)}% CPU, loadgen ${fmt(by.getlist.loadgenPct)}%)`,
    `  GetList / trivial = ${fmt(ratios.getlist.headline, 2)} [${ratios.getlist.headlineBasis}] (90 % interval ${fmt(ratios.getlist.interval[0], 2)}–${fmt(ratios.getlist.interval[1], 2)}; target >= ${TARGETS.getlist}; all rounds ${fmt(ratios.getlist.medianPerRound, 2)}, by server CPU ${fmt(ratios.getlist.cpu, 2)})`,
    `  GetList / Login = ${fmt(ratios.getlistLogin.headline, 2)} [${ratios.getlistLogin.headlineBasis}] (all rounds ${fmt(ratios.getlistLogin.medianPerRound, 2)}, by server CPU ${fmt(ratios.getlistLogin.cpu, 2)})`,
    `  trivial + token / trivial = ${fmt(ratios.tokenTrivial.headline, 2)}, GetList / (trivial + token) = ${fmt(ratios.getlistToken.headline, 2)} (carrying the token vs checking it; by server CPU ${fmt(ratios.tokenTrivial.cpu, 2)}, ${fmt(ratios.getlistToken.cpu, 2)})`,
    `new conn + Login     ${fmt(by.connlogin.nBound ? by.connlogin.rateBound : by.connlogin.rate).padStart(8)} conn/s    (server ${fmt(by.connlogin.serverPct)}% CPU, loadgen ${fmt(by.connlogin.loadgenPct)}%)`,
    `bare mTLS handshake  ${fmt(by.handshake.nBound ? by.handshake.rateBound : by.handshake.rate).padStart(8)} conn/s    (server ${fmt(by.handshake.serverPct)}% CPU, loadgen ${fmt(by.handshake.loadgenPct)}%)`,
    `  conn+Login / handshake = ${fmt(ratios.connlogin.headline, 2)} [${ratios.connlogin.headlineBasis}] (90 % interval ${fmt(ratios.connlogin.interval[0], 2)}–${fmt(ratios.connlogin.interval[1], 2)}; target >= ${TARGETS.connlogin}; all rounds ${fmt(ratios.connlogin.medianPerRound, 2)}, by server CPU ${fmt(ratios.connlogin.cpu, 2)})`,
    `  fresh server (round 1, by server CPU): conn+Login / handshake = ${fmt(ratios.connlogin.round1Cpu, 2)}, Login / trivial = ${fmt(ratios.login.round1Cpu, 2)}`,
    `non-OK responses: ${Object.values(by).reduce((a, p) => a + p.errors, 0)}`,
    `report: ${path.relative(process.cwd(), o.report) || o.report}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  if (Object.values(by).some((p) => p.errors > 0)) process.exitCode = 1;
}

module.exports = { PHASE_INFO, runPhase, startServer, prepareRunDir, serverBound };

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}

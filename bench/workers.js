#!/usr/bin/env node
'use strict';
/**
 * Part of `npm run bench`: warm gRPC Logins per second from `master-gateway serve --workers 2`
 * against `--workers 1` (target ≥ 1.7×), in alternating rounds on the same data. Nothing is pinned:
 * the workers, the primary and the C++ load generator share the machine's cores, as they would in
 * production. For each window the report gives the rate, the CPU of every gateway process and of
 * the load generator, and the gateway's CPU per login, so a shortfall can be told apart: workers
 * that scale (flat CPU per login) on a machine with no spare core, or workers that contend.
 *
 * Options: --rounds N (3) --warmup S (2) --duration S (10) --channels N (32) --inflight N (256)
 *          --quick --report FILE (bench/out/workers-REPORT.md) --json FILE
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  ROOT, OUT, LOADGEN, CLI,
  fail, log, parseOptions, preflight, buildLoadgen, ensureServerBuilt, freePort, sleep, canConnect, median, fmt, runLoadgen, issueCertificates, cpuSeconds, childrenOf,
} = require('./lib');

const TARGET = 1.7;

function parseArgs(argv) {
  const o = { rounds: 3, warmup: 2, duration: 10, channels: 32, inflight: 256, report: path.join(OUT, 'workers-REPORT.md'), json: null };
  parseOptions(argv, o, __filename, (a) => a === '--quick' && !!Object.assign(o, { rounds: 1, warmup: 1, duration: 3 }));
  return o;
}

/** Starts `serve --workers N` and waits until N workers run and have finished starting. */
async function startCluster(ctx, workers) {
  const logFile = path.join(ctx.dir, `server-w${workers}.log`);
  const logFd = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [CLI, 'serve', '--workers', String(workers)], {
    cwd: ROOT,
    env: { ...process.env, GATEWAY_CERT_DIR: ctx.certDir, GATEWAY_DATA_DIR: ctx.dataDir, GATEWAY_GRPC_HOST: '127.0.0.1', GATEWAY_GRPC_PORT: String(ctx.port), GATEWAY_HTTP_PORT: '-1', GATEWAY_LOG_LEVEL: 'warn' },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const deadline = Date.now() + 60_000;
  // Connections must not reach the first worker before the others listen (the primary hands each
  // new connection to a listening worker in turn), so wait for every worker to go quiet after start.
  for (;;) {
    if (exited) throw new Error(`serve --workers ${workers} exited at start: ${JSON.stringify(exited)}`);
    if (Date.now() > deadline) throw new Error(`serve --workers ${workers} did not settle within 60 s`);
    // `--workers 1` is a single process; more are a primary and its workers.
    const pids = workers > 1 ? childrenOf(child.pid) : [child.pid];
    if (pids.length === workers && (await canConnect(ctx.port))) {
      const before = pids.map(cpuSeconds);
      await sleep(1000);
      const busy = pids.map((p, i) => cpuSeconds(p) - before[i]);
      if (busy.every((s) => s < 0.05)) return { child, pids, logFile, exited: () => exited };
    } else await sleep(200);
  }
}

async function stopCluster(cluster) {
  cluster.child.kill('SIGTERM');
  const until = Date.now() + 60_000;
  while (!cluster.exited() && Date.now() < until) await sleep(100);
  if (!cluster.exited()) {
    cluster.child.kill('SIGKILL');
    throw new Error('serve did not drain within 60 s of SIGTERM');
  }
  if (cluster.exited().code !== 0) throw new Error(`serve exited with ${JSON.stringify(cluster.exited())} after SIGTERM:\n${fs.readFileSync(cluster.logFile, 'utf8').slice(-2000)}`);
}

async function window(ctx, o, workers) {
  const cluster = await startCluster(ctx, workers);
  try {
    const primary = workers > 1 ? [cluster.child.pid] : [];
    const pids = [...primary, ...cluster.pids];
    const args = [
      LOADGEN, 'unary', '--target', `127.0.0.1:${ctx.port}`, '--method', '/gsdk.login.Login/Login', '--field1-file', ctx.cert, '--expect-body', '1',
      '--channels', String(o.channels), '--inflight', String(o.inflight), '--ca', ctx.ca, '--cert', ctx.cert, '--key', ctx.key,
      '--warmup', String(o.warmup), '--duration', String(o.duration), '--server-pid', String(cluster.child.pid),
    ];
    const run = runLoadgen(args, (o.warmup + o.duration + 60) * 1000);
    // The gateway's CPU over (about) the measured window: sampled when the warm-up ends and when the
    // load generator exits (its own figures cover exactly the window).
    await sleep(o.warmup * 1000);
    const t0 = process.hrtime.bigint();
    const cpu0 = pids.map(cpuSeconds);
    const r = await run;
    const cpu1 = pids.map(cpuSeconds);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (r.status !== 0 || !line) throw new Error(`loadgen failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
    const res = JSON.parse(line);
    const perProcess = cpu1.map((c, i) => (100 * (c - cpu0[i])) / seconds);
    const gatewayPct = perProcess.reduce((a, b) => a + b, 0);
    return {
      workers,
      rate: res.rate,
      errors: Object.values(res.errors).reduce((a, b) => a + b, 0),
      primaryPct: primary.length ? perProcess[0] : NaN,
      workerPcts: perProcess.slice(primary.length),
      gatewayPct,
      loadgenPct: res.loadgenCpu.pct,
      gatewayUsPerLogin: (gatewayPct / 100 / res.rate) * 1e6,
    };
  } finally {
    await stopCluster(cluster);
  }
}

function report(o, rows) {
  const of = (w) => rows.filter((r) => r.workers === w);
  const perRound = [];
  for (let i = 0; i < o.rounds; i++) perRound.push(of(2)[i].rate / of(1)[i].rate);
  const ratio = median(perRound);
  const cpuRatio = median(of(1).map((r) => r.gatewayUsPerLogin)) / median(of(2).map((r) => r.gatewayUsPerLogin));
  const used = median(of(2).map((r) => r.gatewayPct + r.loadgenPct));
  const cores = os.cpus().length;
  // What this machine leaves two workers: the cores minus the load generator's share, against what
  // one worker used (a Node process uses more than one core: V8's GC and compiler threads). At equal
  // CPU per login this bounds the ratio; two workers may do a little better (less GC per process).
  const ceiling = (cores * 100 - median(of(2).map((r) => r.loadgenPct))) / median(of(1).map((r) => r.gatewayPct));
  const L = [];
  L.push('# Workers: `serve --workers 2` against `--workers 1`, warm Login', '');
  L.push(`Generated by \`node bench/workers.js\` (part of \`npm run bench\`) on ${new Date().toISOString()}: ${cores} cores, Node ${process.version}.`);
  L.push(`Each window starts a fresh \`master-gateway serve --workers N\` on the same certificates and data (nothing pinned), waits until every worker has started, then the C++ load generator makes warm Logins over ${o.channels} connections (${o.inflight} calls in flight; the primary hands the connections to the workers in turn) for ${o.warmup} s warm-up + ${o.duration} s measured. ${o.rounds} round(s), 1 worker then 2 in each.`, '');
  L.push('| figure | value | target | verdict |', '|---|---:|---:|---|');
  L.push(`| warm Logins/s, 1 worker (median) | ${fmt(median(of(1).map((r) => r.rate)))} | | |`);
  L.push(`| warm Logins/s, 2 workers (median) | ${fmt(median(of(2).map((r) => r.rate)))} | | |`);
  L.push(`| **2 workers / 1 worker** (median of per-round ratios: ${perRound.map((x) => fmt(x, 2)).join(', ')}) | **${fmt(ratio, 2)}×** | ≥ ${TARGET}× | ${ratio >= TARGET ? '**meets**' : '**misses**'} |`);
  L.push(`| gateway CPU per login, 1 worker → 2 workers | ${fmt(median(of(1).map((r) => r.gatewayUsPerLogin)), 1)} → ${fmt(median(of(2).map((r) => r.gatewayUsPerLogin)), 1)} µs (${fmt(cpuRatio, 2)}× as cheap) | | |`);
  L.push(`| CPU in use with 2 workers: gateway + load generator | ${fmt(used)} % of ${cores * 100} % | | |`);
  L.push(`| CPU this machine leaves two workers, over one worker's CPU: (${cores * 100} % − load generator) / one worker's % | ${fmt(ceiling, 2)}× | | |`, '');
  L.push('| round | workers | Logins/s | primary CPU | worker CPU each | gateway CPU total | load generator CPU | gateway CPU / login | non-OK |', '|---:|---:|---:|---:|---|---:|---:|---:|---:|');
  rows.forEach((r) => {
    L.push(`| ${r.round} | ${r.workers} | ${fmt(r.rate)} | ${Number.isNaN(r.primaryPct) ? '(none)' : `${fmt(r.primaryPct)} %`} | ${r.workerPcts.map((p) => `${fmt(p)} %`).join(', ')} | ${fmt(r.gatewayPct)} % | ${fmt(r.loadgenPct)} % | ${fmt(r.gatewayUsPerLogin, 1)} µs | ${r.errors} |`);
  });
  L.push('');
  L.push(
    `Reading it: with 2 workers the gateway can only have what the load generator leaves of the machine's ${cores} cores, ` +
      `so the rate ratio is capped near (${cores * 100} % − load generator %) / (1 worker's %). ` +
      'The CPU per login says whether the workers themselves scale: equal CPU per login means two workers do twice the work of one when each has a core of its own.',
    '',
  );
  return { text: L.join('\n'), ratio, cpuRatio, ceiling, perRound, valid: rows.every((r) => r.errors === 0) };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  preflight();
  buildLoadgen();
  ensureServerBuilt(false);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mgw-bench-workers-'));
  const ctx = { dir, certDir: path.join(dir, 'certs'), dataDir: path.join(dir, 'data') };
  fs.mkdirSync(ctx.certDir, { mode: 0o700 });
  fs.mkdirSync(ctx.dataDir, { mode: 0o700 });
  try {
    issueCertificates(ctx, { serverKey: 'rsa' });
    ctx.port = await freePort();
    const rows = [];
    for (let round = 1; round <= o.rounds; round++) {
      for (const workers of [1, 2]) {
        const r = { round, ...(await window(ctx, o, workers)) };
        rows.push(r);
        log(`workers round ${round}: ${workers} worker(s) ${fmt(r.rate)} logins/s, gateway ${fmt(r.gatewayPct)} % CPU (${r.workerPcts.map((p) => fmt(p)).join(' + ')}), loadgen ${fmt(r.loadgenPct)} %, non-OK ${r.errors}`);
      }
    }
    const out = report(o, rows);
    fs.mkdirSync(path.dirname(o.report), { recursive: true });
    fs.writeFileSync(o.report, out.text);
    if (o.json) fs.writeFileSync(o.json, JSON.stringify({ ratio: out.ratio, cpuRatio: out.cpuRatio, ceiling: out.ceiling, perRound: out.perRound, target: TARGET, valid: out.valid, rows }, null, 2));
    process.stdout.write(`${out.text}\n`);
    if (!out.valid) process.exitCode = 1;
  } finally {
    if (process.exitCode) log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  process.exit(1);
});

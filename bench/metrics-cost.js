#!/usr/bin/env node
'use strict';
/**
 * The `metrics` part of `npm run bench` (issue 12: metrics must not take more than 3 % off the warm
 * Login and authenticated-call rates). It also runs alone. Plain Node, no dependencies.
 *
 * Two gateways from the same build run side by side on core 0, each with its own copy of the same
 * data directory: "on" with the operations listener (GATEWAY_OPS_PORT set: every call counted,
 * /metrics scraped every --scrape seconds as Prometheus would) and "off" (GATEWAY_OPS_PORT=-1:
 * nothing counted). Only one of them is under load at a time; the C++ load generator runs on core 1.
 * Every round measures warm Login and warm GetList (with its token) on both, in the order
 * on-off-off-on or off-on-on-off (alternating), so neither server always goes first. A fresh pair
 * of processes starts every --rounds rounds (--pairs times), so the spread between processes
 * (which moved single runs by ±4 % before) is part of the interval, not hidden in it.
 *
 * The figure per phase: the median over all rounds of rate(on) / rate(off), with a 90 % bootstrap
 * interval, and the same from server CPU per call. Target: >= 0.97 (at most 3 % off).
 * The run fails (exit 1) on any non-OK answer, or when the "on" server's /metrics does not show the
 * Logins it served (so "on" really counted).
 *
 * Options: --pairs N (3) --rounds N (4, per pair) --warmup S (2) --duration S (5) --channels N (8)
 *          --inflight N (256) --scrape S (15) --phases login,getlist (both) --quick --report FILE (bench/out/metrics-REPORT.md)
 *          --json FILE (headline figures, for bench/run.js)
 *          --alternate (one server under load at a time, as before 2026-12-06 10:00)
 *          --control (both servers with metrics off: an A/A run that shows the method's own bias)
 */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { OUT, fail, log, parseOptions, preflight, buildLoadgen, ensureServerBuilt, freePort, median, medianInterval, fmt, machineFacts, issueCertificates } = require('./lib');
const { PHASE_INFO, runPhase, startServer, prepareRunDir } = require('./grpc');

const TARGET = 0.97;
const ALL_PHASES = ['login', 'getlist'];
let PHASES = ALL_PHASES;

function parseArgs(argv) {
  const o = { pairs: 3, rounds: 4, warmup: 2, duration: 5, channels: 8, inflight: 256, scrape: 15, serverKey: 'rsa', keep: true, report: path.join(OUT, 'metrics-REPORT.md'), json: null };
  parseOptions(argv, o, __filename, (a, take) => {
    if (a === '--pairs') o.pairs = Math.round(take.num());
    else if (a === '--alternate') o.alternate = true;
    else if (a === '--control') o.control = true;
    else if (a === '--scrape') o.scrape = take.num();
    else if (a === '--phases') {
      PHASES = take.next().split(',');
      if (!PHASES.length || PHASES.some((p) => !ALL_PHASES.includes(p))) fail(`--phases takes a comma-separated list of ${ALL_PHASES.join(', ')}`);
    } else if (a === '--quick') Object.assign(o, { pairs: 1, rounds: 1, warmup: 1, duration: 3 });
    else return false;
    return true;
  });
  return o;
}

function scrape(port) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`/metrics answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('/metrics timed out')));
    req.on('error', reject);
  });
}

/** Sum of gateway_grpc_calls_total samples whose labels match (code is the numeric gRPC status: 0 is OK). */
function countCalls(text, methodPart, code = '0') {
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('gateway_grpc_calls_total{')) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    if (labels.includes(`code="${code}"`) && labels.includes(methodPart)) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}

/** Starts the on/off pair: same certificates, each on its own copy of the data directory. */
async function startPair(base, o, pair) {
  const servers = {};
  for (const mode of ['on', 'off']) {
    const dataDir = path.join(base.dir, `data-${pair}-${mode}`);
    fs.cpSync(base.dataDir, dataDir, { recursive: true });
    const ctx = { ...base, dataDir, serverLog: path.join(base.dir, `server-${pair}-${mode}.log`), perf: false, port: await freePort() };
    // --control: both servers as "off" (an A/A run): any ratio away from 1 is the method's own bias.
    const opsPort = mode === 'on' && !o.control ? await freePort() : -1;
    const server = await startServer(ctx, o, { GATEWAY_OPS_PORT: String(opsPort) });
    ctx.pid = server.pid;
    servers[mode] = { ctx, server, opsPort, scrapes: 0, scrapeErrors: [] };
  }
  return servers;
}

/**
 * Both servers under load at once, one load generator each: they share core 0 (the scheduler gives
 * each about half), so a moment when the host slows the core slows both alike, and rate(on) /
 * rate(off) is their ratio of CPU per call. The default: alternating windows moved by ±20 % with
 * the host (bench/README.md).
 */
async function together(phase, round, o, servers) {
  const [on, off] = await Promise.all([runPhase(phase, round, o, servers.on.ctx), runPhase(phase, round, o, servers.off.ctx)]);
  return { on, off };
}

/** --alternate: one server at a time, on-off-off-on or off-on-on-off by round. */
async function alternately(phase, round, pair, o, servers) {
  const order = (pair * o.rounds + round + PHASES.indexOf(phase)) % 2 ? ['on', 'off'] : ['off', 'on'];
  const out = {};
  for (const mode of order) out[mode] = await runPhase(phase, round, o, servers[mode].ctx);
  return out;
}

/**
 * A round counts when its windows measured the servers: alone, each had >= 90 % of core 0 and the
 * host took < 10 % of it; together, the two had >= 90 % of it between them (each window's "steal"
 * then includes the other server, so it says nothing).
 */
function measuredServers(on, off, o) {
  if (!o.alternate) return on.serverCpu.pct + off.serverCpu.pct >= 90;
  return on.serverCpu.pct >= 90 && off.serverCpu.pct >= 90 && on.stealPct < 10 && off.stealPct < 10;
}

function summarise(results, o) {
  const out = {};
  for (const phase of PHASES) {
    const rs = results.filter((r) => r.phase === phase);
    const keys = [...new Set(rs.map((r) => `${r.pair}/${r.round}`))];
    const rounds = keys
      .map((k) => {
        const on = rs.find((r) => `${r.pair}/${r.round}` === k && r.mode === 'on');
        const off = rs.find((r) => `${r.pair}/${r.round}` === k && r.mode === 'off');
        return on && off ? { key: k, pair: on.pair, rate: on.rate / off.rate, cpu: off.serverUsPerOp / on.serverUsPerOp, bound: measuredServers(on, off, o) } : null;
      })
      .filter(Boolean);
    const bound = rounds.filter((r) => r.bound);
    const basis = bound.length >= 3 ? bound : rounds;
    const pairs = [...new Set(rounds.map((r) => r.pair))].map((p) => ({
      pair: p,
      rate: median(rounds.filter((r) => r.pair === p).map((r) => r.rate)),
      cpu: median(rounds.filter((r) => r.pair === p).map((r) => r.cpu)),
    }));
    const of = (mode, f) => median(rs.filter((r) => r.mode === mode).map(f));
    out[phase] = {
      rateOn: of('on', (r) => r.rate),
      rateOff: of('off', (r) => r.rate),
      usOn: of('on', (r) => r.serverUsPerOp),
      usOff: of('off', (r) => r.serverUsPerOp),
      headline: median(basis.map((r) => r.rate)),
      interval: medianInterval(basis.map((r) => r.rate)),
      cpu: median(basis.map((r) => r.cpu)),
      cpuInterval: medianInterval(basis.map((r) => r.cpu)),
      n: basis.length,
      nRounds: rounds.length,
      nBound: bound.length,
      basis: basis === bound ? 'server-bound rounds' : 'all rounds (fewer than 3 server-bound)',
      pairs,
      rounds,
      errors: rs.reduce((a, r) => a + r.errorCount, 0),
    };
  }
  return out;
}

function writeReport(file, facts, o, results, by, checks) {
  const L = [o.control ? '# Metrics cost, CONTROL (A/A) run: both servers with metrics off' : '# Metrics cost: warm Login and GetList with metrics on against off', ''];
  L.push(`Run ${facts.date} on ${facts.model} (${facts.nproc} cores), Node ${facts.node}, commit ${facts.commit}${facts.dirty ? ` (+${facts.dirty} uncommitted)` : ''}.`);
  L.push(`${o.pairs} pair(s) of fresh server processes × ${o.rounds} round(s); ${o.warmup} s warm-up + ${o.duration} s measured per window; ${o.alternate ? 'one server under load at a time' : 'both servers under load at once, sharing core 0'}; /metrics of the "on" server scraped every ${o.scrape} s.`, '');
  L.push('| phase | rate on / off (90 % interval) | from server CPU per call (90 % interval) | rate on | rate off | CPU µs/call on | off | rounds used | target | verdict |', '|---|---:|---:|---:|---:|---:|---:|---|---:|---|');
  for (const phase of PHASES) {
    const p = by[phase];
    const meets = p.interval[0] >= TARGET ? '**meets** (whole interval)' : p.headline >= TARGET ? '**meets** (median; interval reaches below)' : '**misses**';
    L.push(`| ${PHASE_INFO[phase].title} | ${fmt(p.headline, 3)} (${fmt(p.interval[0], 3)}–${fmt(p.interval[1], 3)}) | ${fmt(p.cpu, 3)} (${fmt(p.cpuInterval[0], 3)}–${fmt(p.cpuInterval[1], 3)}) | ${fmt(p.rateOn)} | ${fmt(p.rateOff)} | ${fmt(p.usOn, 1)} | ${fmt(p.usOff, 1)} | ${p.n} of ${p.nRounds} (${p.basis}) | ≥ ${TARGET} | ${meets} |`);
  }
  L.push('', 'Per pair of processes (median over its rounds; a spread here is process-to-process, not metrics):', '', '| phase | pair | rate on / off | CPU off / on |', '|---|---:|---:|---:|');
  for (const phase of PHASES) for (const p of by[phase].pairs) L.push(`| ${phase} | ${p.pair} | ${fmt(p.rate, 3)} | ${fmt(p.cpu, 3)} |`);
  L.push('', 'Checks:', '');
  for (const c of checks) L.push(`- ${c}`);
  L.push('', '<details><summary>Every window</summary>', '', '| pair | round | phase | mode | rate | server CPU % | µs/call | steal % | non-OK |', '|---:|---:|---|---|---:|---:|---:|---:|---:|');
  for (const r of results) L.push(`| ${r.pair} | ${r.round} | ${r.phase} | ${r.mode} | ${fmt(r.rate)} | ${fmt(r.serverCpu.pct)} | ${fmt(r.serverUsPerOp, 1)} | ${fmt(r.stealPct, 1)} | ${r.errorCount} |`);
  L.push('', '</details>', '');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, L.join('\n'));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  preflight();
  buildLoadgen();
  ensureServerBuilt(false);
  const facts = machineFacts();
  const base = prepareRunDir(o);
  issueCertificates(base, o);
  log(`run dir ${base.dir}`);
  const results = [];
  const checks = [];
  let failure;
  for (let pair = 1; pair <= o.pairs && !failure; pair++) {
    const servers = await startPair(base, o, pair);
    log(`pair ${pair}: on pid ${servers.on.ctx.pid} (ops port ${servers.on.opsPort}), off pid ${servers.off.ctx.pid}, both on core 0`);
    const on = servers.on;
    const timer = setInterval(() => {
      if (on.opsPort > 0) scrape(on.opsPort).then(() => on.scrapes++, (err) => on.scrapeErrors.push(err.message));
    }, o.scrape * 1000);
    let loginOk = 0;
    try {
      for (let round = 1; round <= o.rounds; round++) {
        for (const phase of PHASES) {
          for (const s of Object.values(servers)) if (s.server.exited()) throw new Error(`a server exited: ${JSON.stringify(s.server.exited())}`);
          const windows = o.alternate ? await alternately(phase, round, pair, o, servers) : await together(phase, round, o, servers);
          for (const [mode, w] of Object.entries(windows)) {
            const r = { ...w, pair, round, mode };
            results.push(r);
            if (mode === 'on' && phase === 'login') loginOk += r.ok;
            log(`pair ${pair} round ${round} ${phase.padEnd(7)} ${mode.padEnd(3)} ${fmt(r.rate).padStart(7)} calls/s  ${fmt(r.serverUsPerOp, 1)} µs/call  server ${fmt(r.serverCpu.pct)}%  loadgen ${fmt(r.loadgenCpu.pct)}%  non-OK ${r.errorCount}`);
          }
        }
      }
      if (o.control) continue;
      const text = await scrape(on.opsPort);
      fs.writeFileSync(path.join(base.dir, `metrics-${pair}.txt`), text);
      const counted = countCalls(text, 'method="Login.Login"');
      const line = `pair ${pair}: the "on" server's /metrics counts ${fmt(counted)} OK Logins; the measured windows alone had ${fmt(loginOk)}; ${on.scrapes} scrape(s) during the run${on.scrapeErrors.length ? `, ${on.scrapeErrors.length} failed (${on.scrapeErrors[0]})` : ''}`;
      checks.push(line);
      log(line);
      if (!(counted >= loginOk && loginOk > 0)) throw new Error(`metrics were not counting: ${line}`);
      if (on.scrapeErrors.length) throw new Error(`scrapes failed: ${on.scrapeErrors.join('; ')}`);
    } catch (err) {
      failure = err;
    } finally {
      clearInterval(timer);
      await Promise.all([servers.on.server.stop(), servers.off.server.stop()]);
    }
  }
  fs.writeFileSync(path.join(base.dir, 'results.json'), JSON.stringify({ facts, options: o, results, checks }, null, 2));
  if (failure) throw failure;
  const by = summarise(results, o);
  writeReport(o.report, facts, o, results, by, checks);
  if (o.json) {
    const figures = Object.fromEntries(PHASES.map((p) => [p, { headline: by[p].headline, interval: by[p].interval, cpu: by[p].cpu, n: by[p].n, rateOn: by[p].rateOn, rateOff: by[p].rateOff, target: TARGET }]));
    fs.writeFileSync(o.json, JSON.stringify({ valid: PHASES.every((p) => by[p].errors === 0), ...figures }, null, 2));
  }
  for (const p of PHASES) {
    const b = by[p];
    process.stdout.write(`${p.padEnd(7)} on/off ${fmt(b.headline, 3)} (90 % ${fmt(b.interval[0], 3)}–${fmt(b.interval[1], 3)}, ${b.n} rounds, ${b.basis}); by CPU ${fmt(b.cpu, 3)} (${fmt(b.cpuInterval[0], 3)}–${fmt(b.cpuInterval[1], 3)}); target >= ${TARGET}\n`);
  }
  process.stdout.write(`report: ${path.relative(process.cwd(), o.report)}\n`);
  if (PHASES.some((p) => by[p].errors > 0)) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  process.exit(1);
});

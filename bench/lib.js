'use strict';
// Shared by the benchmark scripts: preflight checks, building the C++ load generator, the CLI,
// ports, the certificates every gRPC benchmark uses, and small statistics helpers.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const BENCH = __dirname;
const ROOT = path.resolve(BENCH, '..');
const OUT = path.join(BENCH, 'out');
const LOADGEN = path.join(OUT, 'loadgen');
const CLI = path.join(ROOT, 'bin', 'master-gateway.js');
const APT_PACKAGES = 'g++ make pkg-config libgrpc++-dev libssl-dev libnghttp2-dev util-linux';
const TENANT = 'bench';
/** Registered to the tenant before the server starts, so GetList answers a non-empty list. */
const GATEWAYS = ['gw-1', 'gw-2', 'gw-3'];

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// ---------------------------------------------------------------- preflight and build

function have(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function preflight() {
  const missing = [];
  for (const tool of ['g++', 'make', 'pkg-config']) if (!have(tool)) missing.push(tool);
  if (!have('taskset', ['-V'])) missing.push('taskset (util-linux)');
  if (have('pkg-config')) {
    for (const lib of ['grpc++', 'openssl', 'libnghttp2']) if (!have('pkg-config', ['--exists', lib])) missing.push(`${lib} (pkg-config)`);
  }
  if (missing.length > 0) {
    fail(
      `the C++ load generator needs tools and libraries that are missing: ${missing.join(', ')}.\n` +
        `Install them (Debian bookworm) with:\n  apt-get update && apt-get install -y ${APT_PACKAGES}`,
    );
  }
  if (os.cpus().length < 2) fail('needs at least 2 cores (server on core 0, load generator on core 1)');
}

function buildLoadgen() {
  const r = spawnSync('make', ['-s', '-C', BENCH, 'out/loadgen'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) fail(`building the load generator failed (make -C bench); needs: apt-get install -y ${APT_PACKAGES}`);
}

function ensureServerBuilt(force) {
  if (!force && fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) return;
  log('building the server (npm run build)');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) fail('npm run build failed');
}

// ---------------------------------------------------------------- helpers

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function cli(args, env = {}) {
  const r = sh(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`master-gateway ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

const monoUs = () => Number(process.hrtime.bigint() / 1000n);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
/**
 * A 90 % percentile-bootstrap interval for the median of xs: resamples xs with replacement
 * (a fixed-seed generator, so re-rendering a run gives the same interval) and takes the 5th and
 * 95th percentiles of the resampled medians. [NaN, NaN] for fewer than 3 values.
 */
function medianInterval(xs, resamples = 4000) {
  if (xs.length < 3) return [NaN, NaN];
  let seed = 0x9e3779b9;
  const next = () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return seed / 2 ** 32;
  };
  const medians = [];
  for (let i = 0; i < resamples; i++) medians.push(median(xs.map(() => xs[Math.floor(next() * xs.length)])));
  medians.sort((a, b) => a - b);
  return [medians[Math.floor(0.05 * resamples)], medians[Math.ceil(0.95 * resamples) - 1]];
}
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');

function machineFacts() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = (cpuinfo.match(/^model name\s*:\s*(.*)$/m) || [])[1] ?? 'unknown';
  const nproc = sh('nproc', []).stdout.trim();
  const pc = (lib) => sh('pkg-config', ['--modversion', lib]).stdout.trim();
  const git = (args) => sh('git', args, { cwd: ROOT }).stdout.trim();
  const dirty = git(['status', '--porcelain', '--', 'src', 'proto', 'package.json']).split('\n').filter(Boolean).length;
  const distBuilt = fs.statSync(path.join(ROOT, 'dist', 'cli', 'main.js')).mtime.toISOString();
  // dist/ is what runs: name the last commit made before it was built (src may have moved since).
  const distCommit = git(['log', '-1', `--before=${distBuilt}`, '--format=%h']);
  const hypervisor = /\bhypervisor\b/.test(cpuinfo);
  return {
    date: new Date().toISOString(),
    model,
    nproc,
    kernel: os.release(),
    hypervisor,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    nodeOpenssl: process.versions.openssl,
    grpcpp: pc('grpc++'),
    openssl: pc('openssl'),
    nghttp2: pc('libnghttp2'),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty,
    distBuilt,
    distCommit,
  };
}

/** Runs a load generator (the C++ one or wrk; argv[0] is the command: `taskset` to pin it, or the binary) and collects its output. */
function runLoadgen(argv, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function rssMiB(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function issueCertificates(ctx, o) {
  const keyFlag = o.serverKey === 'ec' ? ['--key', 'ec'] : [];
  cli(['certs', 'init', '--out', ctx.certDir, '--data-dir', ctx.dataDir, ...keyFlag]);
  cli(['certs', 'tenant', TENANT, '--out', ctx.certDir, '--key', 'ec', '--data-dir', ctx.dataDir]);
  cli(['tenant', 'add', TENANT, ...GATEWAYS.flatMap((g) => ['--gateway', g])], { GATEWAY_DATA_DIR: ctx.dataDir });
  ctx.ca = path.join(ctx.certDir, 'ca.crt');
  ctx.cert = path.join(ctx.certDir, `tenant_${TENANT}.crt`);
  ctx.key = path.join(ctx.certDir, `tenant_${TENANT}_key.pem`);
  const describe = (file) => {
    const text = sh('openssl', ['x509', '-in', file, '-noout', '-text']).stdout;
    const alg = (text.match(/Public Key Algorithm: (\S+)/) || [])[1] ?? '?';
    const bits = (text.match(/Public-Key: \((\d+) bit\)/) || [])[1] ?? '?';
    const sig = (text.match(/Signature Algorithm: (\S+)/) || [])[1] ?? '?';
    const name = alg === 'rsaEncryption' ? `RSA-${bits}` : alg === 'id-ecPublicKey' ? `ECDSA P-${bits}` : `${alg} ${bits}`;
    return `${name} (signed ${sig})`;
  };
  ctx.keys = {
    ca: describe(ctx.ca),
    server: describe(path.join(ctx.certDir, 'server.crt')),
    client: describe(ctx.cert),
  };
}
/**
 * Options the load-generating parts share (--rounds --warmup --duration --channels --inflight
 * --report --json --help, the help being the script's first comment); `more(flag, take)` handles a
 * part's own flags and says whether it did.
 */
function parseOptions(argv, o, script, more = () => false) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const take = {
      next: () => {
        if (i + 1 >= argv.length) fail(`${a} needs a value`);
        return argv[++i];
      },
      num: () => {
        const n = Number(take.next());
        if (!Number.isFinite(n) || n <= 0) fail(`${a} needs a positive number`);
        return n;
      },
    };
    if (a === '--rounds') o.rounds = Math.round(take.num());
    else if (a === '--warmup') o.warmup = take.num();
    else if (a === '--duration') o.duration = take.num();
    else if (a === '--channels') o.channels = Math.round(take.num());
    else if (a === '--inflight') o.inflight = Math.round(take.num());
    else if (a === '--report') o.report = path.resolve(take.next());
    else if (a === '--json') o.json = path.resolve(take.next());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(fs.readFileSync(script, 'utf8').split('*/')[0].replace(/^[\s\S]*?\/\*\*/, '') + '\n');
      process.exit(0);
    } else if (!more(a, take)) fail(`unknown option ${a} (see --help)`);
  }
  return o;
}

/** utime + stime of a process in seconds (NaN when it is gone). */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** Direct children of a process. */
function childrenOf(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------- the HTTPS bridge

/** A keep-alive agent that trusts the gateway's CA (Node's fetch takes no CA without the undici package). */
function httpsAgent(caPem, maxSockets = Infinity) {
  return new (require('node:https').Agent)({ ca: caPem, keepAlive: true, maxSockets });
}

/** One request over `agent`; resolves with {status, text}. */
function request(url, { method = 'GET', headers = {}, body, agent }) {
  return new Promise((resolve, reject) => {
    const req = require('node:https').request(url, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

module.exports = {
  BENCH, ROOT, OUT, LOADGEN, CLI, APT_PACKAGES, TENANT, GATEWAYS,
  fail, log, have, preflight, buildLoadgen, ensureServerBuilt, sh, cli, freePort, sleep, canConnect, monoUs, median, medianInterval, fmt, machineFacts,
  parseOptions, runLoadgen, rssMiB, issueCertificates, cpuSeconds, childrenOf, httpsAgent, request,
};

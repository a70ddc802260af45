'use strict';
/**
 * Reads the server's V8 .cpuprofile (node --cpu-prof) and summarises the samples that fall in
 * each phase's measured windows. V8 stamps samples with CLOCK_MONOTONIC microseconds, the clock
 * the load generator reports its windows in, so the windows cut the profile exactly.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

const JWT_PACKAGES = ['jsonwebtoken', 'jws', 'jwa', 'ecdsa-sig-formatter', 'safe-buffer', 'buffer-equal-constant-time', 'semver', 'ms'];
const PINO_PACKAGES = ['pino', 'pino-std-serializers', 'sonic-boom', 'fast-redact', '@pinojs/redact', 'quick-format-unescaped', 'thread-stream', 'on-exit-leak-free', 'atomic-sleep', 'safe-stable-stringify', 'real-require', 'process-warning', 'pino-abstract-transport'];

function packageOf(url) {
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/g);
  if (!m) return null;
  return m[m.length - 1].replace('node_modules/', '');
}

/** Category of a script URL ('' for native frames). */
function categoryOfUrl(url) {
  const pkg = packageOf(url);
  if (pkg) {
    if (pkg === '@grpc/grpc-js') return 'grpc-js';
    if (JWT_PACKAGES.includes(pkg) || pkg.startsWith('lodash.')) return 'JWT (jsonwebtoken/jws/jwa)';
    if (PINO_PACKAGES.includes(pkg)) return 'pino logging';
    if (pkg === 'grpc-health-check') return 'grpc-health-check';
    if (pkg === '@bufbuild/protobuf') return 'protobuf codec (@bufbuild)';
    if (pkg === 'protobufjs' || pkg === '@grpc/proto-loader' || pkg === 'long') return 'protobufjs';
    if (pkg === 'better-sqlite3') return 'better-sqlite3';
    return `package ${pkg}`;
  }
  if (url.includes('/dist/gen/')) return 'generated protobuf code (dist/gen)';
  if (url.includes('/dist/')) return 'gateway code (dist/)';
  if (/^node:(internal\/)?http2/.test(url)) return 'node http2';
  if (/^node:(_tls|tls|internal\/tls)/.test(url)) return 'node tls';
  if (/^node:(net|internal\/net|internal\/stream_base_commons|internal\/js_stream_socket)/.test(url)) return 'node net/stream_base';
  if (/^node:(crypto|internal\/crypto)/.test(url)) return 'node crypto';
  if (/^node:(stream|internal\/streams)/.test(url)) return 'node streams';
  if (/^node:(internal\/)?timers/.test(url) || url === 'node:internal/process/task_queues') return 'node timers/microtasks';
  if (url.startsWith('node:')) return 'node core (other)';
  return url ? 'other JS' : null;
}

/** V8 marks the thread idle around libuv's poll phase, and native I/O callbacks run inside it
 *  (TLS handshakes and record crypto, socket reads/writes) until they call into JavaScript; those
 *  samples therefore read "(idle)" even when the process is busy. */
const OUTSIDE_JS = 'outside JS: native I/O callbacks (TLS, sockets) or truly idle';
const SPECIAL = {
  '(garbage collector)': 'GC (main thread)',
  '(program)': 'V8/native, unattributed ("(program)")',
  '(idle)': OUTSIDE_JS,
  '(root)': 'root',
};
/** Categories worth an inclusive figure (generic ones like timers sit under everything). */
const INCLUSIVE = ['JWT (jsonwebtoken/jws/jwa)', 'gateway code (dist/)', 'pino logging', 'grpc-js', 'node http2', 'node tls', 'node crypto', 'protobuf codec (@bufbuild)', 'generated protobuf code (dist/gen)'];

function shortWhere(url, line) {
  if (!url) return 'native';
  let u = url.replace(/^file:\/\//, '');
  const pkg = packageOf(u);
  if (pkg) u = `${pkg}/${u.split(`node_modules/${pkg}/`).pop()}`;
  else if (u.startsWith(ROOT)) u = path.relative(ROOT, u);
  return `${u}:${line + 1}`;
}

function analyseProfile(file, windows, serverStartMono) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map();
  for (const n of prof.nodes) nodes.set(n.id, { ...n, parent: null });
  for (const n of prof.nodes) for (const c of n.children ?? []) nodes.get(c).parent = n.id;

  // Per node: its category (natives take the nearest JS caller's), its key, and its ancestors.
  const info = new Map();
  const infoOf = (id) => {
    let i = info.get(id);
    if (i) return i;
    const n = nodes.get(id);
    const { functionName, url, lineNumber } = n.callFrame;
    const parent = n.parent != null ? infoOf(n.parent) : null;
    let category = (Object.hasOwn(SPECIAL, functionName) ? SPECIAL[functionName] : null) ?? categoryOfUrl(url);
    if (!category) category = parent && parent.category !== 'root' ? parent.category : 'native, no JS caller';
    const key = `${functionName || '(anonymous)'}\u0000${url}\u0000${lineNumber}`;
    i = { category, key, name: functionName || '(anonymous)', where: shortWhere(url, lineNumber), native: !url, parent, id };
    info.set(id, i);
    return i;
  };

  const t0 = prof.startTime;
  // serverStartMono is null when re-cutting a saved run that did not record it.
  const skew = serverStartMono == null ? 0 : Math.abs(t0 - serverStartMono);
  const aligned = skew < 60e6;
  const intervalUs = prof.samples.length > 1 ? Math.round((prof.endTime - prof.startTime) / prof.samples.length) : 0;

  const byPhase = {};
  const sorted = [...windows].sort((a, b) => a.from - b.from);
  let t = t0;
  let w = 0;
  for (let s = 0; s < prof.samples.length; s++) {
    t += prof.timeDeltas[s];
    while (w < sorted.length && t > sorted[w].to) w++;
    if (w >= sorted.length) break;
    if (t < sorted[w].from) continue;
    const phase = sorted[w].phase;
    const acc = (byPhase[phase] ??= { total: 0, idle: 0, self: new Map(), cats: new Map(), incCats: new Map(), incFns: new Map() });
    acc.total++;
    const leaf = infoOf(prof.samples[s]);
    acc.cats.set(leaf.category, (acc.cats.get(leaf.category) ?? 0) + 1);
    if (leaf.category === OUTSIDE_JS || leaf.category === 'root') {
      acc.idle++;
      continue;
    }
    const self = acc.self.get(leaf.key) ?? { name: leaf.name + (leaf.native ? ' (native)' : ''), where: leaf.native ? `native, under ${leaf.category}` : leaf.where, n: 0 };
    self.n++;
    acc.self.set(leaf.key, self);
    const seenCats = new Set();
    const seenFns = new Set();
    for (let f = leaf; f; f = f.parent) {
      seenCats.add(f.category);
      if (f.where.startsWith('dist/') && !f.where.startsWith('dist/gen/')) seenFns.add(`${f.name} (${f.where})`);
    }
    for (const c of seenCats) acc.incCats.set(c, (acc.incCats.get(c) ?? 0) + 1);
    for (const fn of seenFns) acc.incFns.set(fn, (acc.incFns.get(fn) ?? 0) + 1);
  }

  const phases = {};
  for (const [phase, acc] of Object.entries(byPhase)) {
    const busy = acc.total - acc.idle;
    const pct = (n) => (busy ? (100 * n) / busy : 0);
    const pctAll = (n) => (acc.total ? (100 * n) / acc.total : 0);
    phases[phase] = {
      samples: acc.total,
      jsSamples: busy,
      outsideJsPct: pctAll(acc.idle),
      // Shares of all samples (the "outside JS" row included).
      categories: [...acc.cats.entries()].map(([k, n]) => [k, pctAll(n)]).sort((a, b) => b[1] - a[1]),
      // Shares of the samples with JavaScript (or GC/VM) on the thread.
      inclusive: [...acc.incCats.entries()]
        .filter(([k]) => INCLUSIVE.includes(k))
        .map(([k, n]) => [k, pct(n)])
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10),
      gatewayFunctions: [...acc.incFns.entries()].map(([k, n]) => [k, pct(n)]).sort((a, b) => b[1] - a[1]).slice(0, 10),
      top: [...acc.self.values()].map((f) => ({ name: f.name, where: f.where, pct: pct(f.n) })).sort((a, b) => b.pct - a.pct).slice(0, 15),
    };
  }
  const note = aligned
    ? `Profile ${path.basename(file)}: ${prof.samples.length} samples over the whole server run; only the samples inside each phase's measured windows are counted below (${serverStartMono == null ? 're-cut from a saved run' : `profile start vs server spawn: ${(skew / 1e3).toFixed(0)} ms apart on the same monotonic clock`}).`
    : `Profile ${path.basename(file)}: its clock is ${(skew / 1e6).toFixed(0)} s away from the server spawn time, so windows may not line up; treat the split by phase with suspicion.`;
  return { file, note, intervalUs, aligned, phases, findings: [] };
}

/** Markdown: self-time share by category (rows) per phase (columns). */
function categoryTable(phases, order) {
  const cols = order.filter((p) => phases[p]);
  const cats = new Map();
  for (const p of cols) for (const [k, v] of phases[p].categories) cats.set(k, Math.max(cats.get(k) ?? 0, v));
  const rows = [...cats.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  const L = [`| category | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`];
  for (const k of rows) {
    L.push(`| ${k} | ${cols.map((p) => (phases[p].categories.find(([c]) => c === k)?.[1] ?? 0).toFixed(1)).join(' | ')} |`);
  }
  L.push(`| *(samples)* | ${cols.map((p) => phases[p].samples).join(' | ')} |`);
  return L.join('\n');
}

module.exports = { analyseProfile, categoryTable, categoryOfUrl, OUTSIDE_JS };

'use strict';
// The store's hot calls alone (no HTTP, no crypto): what one datarhei refresh or rotation asks of the
// store. Each phase runs against every build given, in interleaved rounds (the order alternates),
// so builds are compared within one run on a noisy machine; the figure is the median per-round ratio.
//
//   node bench/store-calls.js [--dist dist,/tmp/old/dist] [--rounds 5] [--ms 1500] [--tokens 10000] [--pg URL]
//
// --dist: builds to compare (the first is "new", each other one is compared to it); default ./dist.
// --pg: also run against PostgreSQL (each build in a schema of its own, dropped afterwards).
// --tokens: refresh tokens in the table before the phases run (e.g. 1000000: the B-trees of a large deployment).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes, randomUUID } = require('node:crypto');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const DISTS = opt('dist', path.join(__dirname, '..', 'dist')).split(',').map((d) => path.resolve(d));
const ROUNDS = Number(opt('rounds', 5));
const MS = Number(opt('ms', 1500));
const PG = opt('pg', undefined);
const TOKENS = Number(opt('tokens', 10_000));
const CONCURRENT = 32;

const hex = () => randomBytes(32).toString('hex');
const event = (i) => ({ at: Date.now(), event: 'refresh', outcome: 'success', dialect: 'datarhei', username: `u${i % 100}`, tenantId: 't', address: '127.0.0.1', detail: null });

async function seed(store) {
  await store.addTenants([{ tenantId: 't', gatewayIds: [] }]);
  const now = Math.floor(Date.now() / 1000);
  const users = [];
  for (let i = 0; i < 100; i++) {
    const u = { userId: randomUUID(), username: `bench-${randomUUID()}`, tenantId: 't', role: 'user', passwordHash: 'x', email: '', firstName: '', lastName: '', disabled: false, mustChangePassword: false, createdAt: 0, updatedAt: 0 };
    await store.addUser(u);
    users.push(u.userId);
  }
  const tokens = [];
  // Added 256 at a time (one group commit each), so a million tokens take a minute, not an hour.
  for (let i = 0; i < TOKENS; i += 256) {
    const chunk = Array.from({ length: Math.min(256, TOKENS - i) }, (_v, k) => ({ tokenHash: hex(), familyId: randomUUID(), userId: users[(i + k) % users.length], dialect: 'datarhei', rotating: false, issuedAt: now, expiresAt: now + 86400, usedAt: null, revokedAt: null }));
    await Promise.all(chunk.map((t) => store.addRefreshToken(t)));
    for (const t of chunk) if (tokens.length < 10_000) tokens.push(t.tokenHash);
  }
  for (let i = 0; i < 1000; i++) await store.revokeToken({ jti: randomUUID(), expiresAt: now + 86400 });
  return { users, tokens, now };
}

/** Phases: each runs `step` until MS passed and returns operations done. */
function phases(store, data) {
  let i = 0;
  const pick = (list) => list[i++ % list.length];
  /**
   * One rotation's writes, as the build makes them: one rotateRefreshToken (the presented token
   * spent, the next added, the audit row recorded in one transaction), or, in a build without it,
   * the three writes one after the other (spend, audit row, next token). `slot`: each concurrent
   * caller rotates a chain of its own.
   */
  const heads = [];
  const token = (familyId) => ({ tokenHash: hex(), familyId, userId: pick(data.users), dialect: 'monogoto', rotating: true, issuedAt: data.now, expiresAt: data.now + 3600, usedAt: null, revokedAt: null });
  const rotation = async (slot) => {
    if (!heads[slot]) {
      heads[slot] = token(randomUUID());
      await store.addRefreshToken(heads[slot]);
    }
    const next = token(heads[slot].familyId);
    if (store.rotateRefreshToken) {
      if (!(await store.rotateRefreshToken(heads[slot].tokenHash, data.now, next, event(i++)))) throw new Error('rotation failed');
    } else {
      if (!(await store.spendRefreshToken(heads[slot].tokenHash, data.now))) throw new Error('spend failed');
      await store.recordAudit(event(i++));
      await store.addRefreshToken(next);
    }
    heads[slot] = next;
  };
  return {
    findRefreshToken: async () => (await store.findRefreshToken(pick(data.tokens)), 1),
    findUser: async () => (await store.findUser(pick(data.users)), 1),
    isTokenRevoked: async () => (await store.isTokenRevoked(randomUUID()), 1),
    'recordAudit x1': async () => (await store.recordAudit(event(i++)), 1),
    [`recordAudit x${CONCURRENT} concurrent`]: async () => {
      await Promise.all(Array.from({ length: CONCURRENT }, () => store.recordAudit(event(i++))));
      return CONCURRENT;
    },
    'rotation (spend, next, audit)': async () => (await rotation(0), 1),
    [`rotation x${CONCURRENT} concurrent`]: async () => {
      await Promise.all(Array.from({ length: CONCURRENT }, (_, n) => rotation(1 + n)));
      return CONCURRENT;
    },
  };
}

/** Operations a second, and this process's CPU time per operation (µs: less moved than the rate by the other processes of a shared host). */
async function measure(step) {
  const end = performance.now() + MS;
  const cpu0 = process.cpuUsage();
  let ops = 0;
  while (performance.now() < end) ops += await step();
  const cpu = process.cpuUsage(cpu0);
  return { rate: (ops * 1000) / MS, cpu: (cpu.user + cpu.system) / ops };
}

async function openAll(kind) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-calls-'));
  const builds = [];
  for (const [n, dist] of DISTS.entries()) {
    let store;
    let drop = async () => undefined;
    if (kind === 'sqlite') {
      store = require(path.join(dist, 'store', 'sqlite', 'sqlite-store.js')).openSqliteStore(path.join(dir, `b${n}.db`), { pollMs: 0 });
    } else {
      const { Client } = require('pg');
      const schema = `bench_store_${process.pid}_${n}`;
      const admin = new Client({ connectionString: PG });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      const url = new URL(PG);
      url.searchParams.set('options', `-c search_path=${schema}`);
      store = await require(path.join(dist, 'store', 'postgres', 'postgres-store.js')).openPostgresStore(url.toString());
      drop = async () => {
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      };
    }
    builds.push({ dist, store, drop, phases: phases(store, await seed(store)) });
  }
  return { builds, dir };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function run(kind) {
  const { builds, dir } = await openAll(kind);
  const names = Object.keys(builds[0].phases);
  const rates = new Map(names.map((name) => [name, builds.map(() => [])]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const order = round % 2 === 0 ? builds.map((_b, n) => n) : builds.map((_b, n) => builds.length - 1 - n);
      for (const n of order) rates.get(name)[n].push(await measure(builds[n].phases[name]));
    }
    process.stderr.write(`[store-calls ${kind}] round ${round + 1}/${ROUNDS} done\n`);
  }
  console.log(`\n${kind}: ops/s and CPU µs per op, median of ${ROUNDS} rounds of ${MS} ms${builds.length > 1 ? '; ratios = median per-round new/other (min–max), of the rate and of the CPU per op' : ''}`);
  console.log(`builds: ${builds.map((b, n) => `[${n}] ${b.dist}`).join('  ')}`);
  const ratio = (per, key) =>
    per.slice(1).map((other) => {
      const rs = per[0].map((v, k) => v[key] / other[k][key]);
      return `×${median(rs).toFixed(2)} (${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)})`;
    });
  for (const name of names) {
    const per = rates.get(name);
    const cells = per.map((r, n) => `[${n}] ${Math.round(median(r.map((m) => m.rate))).toLocaleString('en')}/s ${median(r.map((m) => m.cpu)).toFixed(1)} µs`);
    console.log(`  ${name.padEnd(30)} ${cells.join('  ')}${builds.length > 1 ? `  rate ${ratio(per, 'rate').join(' ')}  cpu ${ratio(per, 'cpu').join(' ')}` : ''}`);
  }
  for (const b of builds) {
    await b.store.close();
    await b.drop();
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

(async () => {
  await run('sqlite');
  if (PG) await run('postgres');
})().catch((err) => {
  console.error(err);
  process.exit(1);
});

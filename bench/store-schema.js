'use strict';
// The SQL of a rotation and of an audit row alone, against schema candidates side by side (raw
// better-sqlite3, the store's pragmas, no gateway code): which B-trees a write touches and what each
// costs. Each candidate is a database file of its own seeded with the same rows; the phases run
// in interleaved rounds (order alternating), and the figure is µs of this thread per operation
// (median of the rounds), WAL pages written per operation, and the median per-round CPU ratio to the
// first candidate (min–max over the rounds).
//
//   npm run build && node bench/store-schema.js [--tokens 200000] [--rounds 5] [--batches 300] [--only base,wr]
//                              [--phases rotation,...] [--dir DIR]
//
// --dir keeps each candidate's seeded file in DIR and starts from a copy of it when there, so a run
// under callgrind measures the statements only (the keys are the same in every run and candidate):
//   valgrind --tool=callgrind --toggle-collect=sqlite3_step node bench/store-schema.js --dir D --only base \
//     --phases rotation --rounds 1 --batches 50
// counts SQLite's instructions (every statement, savepoint and commit goes through sqlite3_step):
// a figure the shared host's noise does not move, unlike the CPU time this prints.
//
// A batch is what one group commit carries under 32 connections: 32 rotations (or 32 audit rows),
// each in a savepoint of one IMMEDIATE transaction (src/store/sqlite/group-commit.ts).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createHash } = require('node:crypto');
const Database = require('better-sqlite3');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const TOKENS = Number(opt('tokens', 200_000));
const ROUNDS = Number(opt('rounds', 5));
const BATCHES = Number(opt('batches', 300));
const PER_BATCH = 32;
const USERS = 100;

const USERS_SQL = `
  CREATE TABLE users (user_id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, tenant_id TEXT NOT NULL);
  CREATE TABLE revoked_refresh_families (family_id TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL);`;
/**
 * The refresh_tokens columns as the gateway's migrations make them (dist/, `npm run build`), so every
 * candidate differs from the real table only in what it varies.
 */
const TOKEN_COLUMNS = (() => {
  const { MIGRATIONS } = require('../dist/store/sqlite/migrations');
  const db = new Database(':memory:');
  for (const m of MIGRATIONS) db.exec(m.sql);
  const ddl = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'refresh_tokens'").pluck().get();
  db.close();
  return ddl.slice(ddl.indexOf('(') + 1, ddl.lastIndexOf(')'));
})();
const TOKEN_INDEXES = (skip = []) =>
  [
    ['by_user', 'CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);'],
    ['by_expiry', 'CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);'],
    ['by_family_expiry', 'CREATE INDEX refresh_tokens_by_family_expiry ON refresh_tokens (family_id, expires_at);'],
  ]
    .filter(([name]) => !skip.includes(name))
    .map(([, s]) => s)
    .join('\n');
const AUDIT = (autoincrement) => `
  CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY${autoincrement ? ' AUTOINCREMENT' : ''}, at INTEGER NOT NULL, event TEXT NOT NULL, outcome TEXT NOT NULL,
    dialect TEXT NOT NULL, username TEXT, tenant_id TEXT, address TEXT, detail TEXT, actor TEXT);
  CREATE INDEX audit_events_by_time ON audit_events (at);`;

const SPEND_NOT_IN = `UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL
  AND family_id NOT IN (SELECT family_id FROM revoked_refresh_families)`;
const SPEND_NOT_EXISTS = `UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM revoked_refresh_families f WHERE f.family_id = refresh_tokens.family_id)`;

/** Each candidate: its DDL and the spend statement it runs. */
const CANDIDATES = {
  base: { ddl: `CREATE TABLE refresh_tokens (${TOKEN_COLUMNS});${TOKEN_INDEXES()}${AUDIT(true)}`, spend: SPEND_NOT_IN },
  'not-exists': { ddl: `CREATE TABLE refresh_tokens (${TOKEN_COLUMNS});${TOKEN_INDEXES()}${AUDIT(true)}`, spend: SPEND_NOT_EXISTS },
  wr: { ddl: `CREATE TABLE refresh_tokens (${TOKEN_COLUMNS}) WITHOUT ROWID;${TOKEN_INDEXES()}${AUDIT(true)}`, spend: SPEND_NOT_IN },
  'no-by-expiry': { ddl: `CREATE TABLE refresh_tokens (${TOKEN_COLUMNS});${TOKEN_INDEXES(['by_expiry'])}${AUDIT(true)}`, spend: SPEND_NOT_IN },
  'no-autoinc': { ddl: `CREATE TABLE refresh_tokens (${TOKEN_COLUMNS});${TOKEN_INDEXES()}${AUDIT(false)}`, spend: SPEND_NOT_IN },
  'wr+no-autoinc': { ddl: `CREATE TABLE refresh_tokens (${TOKEN_COLUMNS}) WITHOUT ROWID;${TOKEN_INDEXES()}${AUDIT(false)}`, spend: SPEND_NOT_IN },
  // Not schema: the savepoints' sub-journal in memory rather than a temporary file once it passes 64 KiB.
  'temp-memory': { ddl: `CREATE TABLE refresh_tokens (${TOKEN_COLUMNS});${TOKEN_INDEXES()}${AUDIT(true)}`, spend: SPEND_NOT_IN, pragmas: ['temp_store = MEMORY'] },
};
const ONLY = opt('only', Object.keys(CANDIDATES).join(',')).split(',');
const PHASES = opt('phases', 'rotation,audit row,findRefreshToken').split(',');
const DIR = opt('dir', undefined);

// Deterministic keys: the same rows in every run and candidate.
let keys = 0;
const hex = () => createHash('sha256').update(`k${keys++}`).digest('hex');
const uuid = () => hex().slice(0, 36);
const now = 1_780_000_000;

function open(file, ddl, pragmas = []) {
  const db = new Database(file);
  for (const p of pragmas) db.pragma(p);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('secure_delete = FAST');
  if (ddl) db.exec(USERS_SQL + ddl);
  return db;
}

/** The same rows in every candidate: users, TOKENS tokens (each its own family), 1,000 revoked families. */
function seedRows() {
  const users = Array.from({ length: USERS }, () => uuid());
  const tokens = Array.from({ length: TOKENS }, (_v, i) => [hex(), uuid(), users[i % USERS]]);
  const revoked = Array.from({ length: 1000 }, () => uuid());
  return { users, tokens, revoked };
}

function seed(db, rows) {
  db.transaction(() => {
    const u = db.prepare('INSERT INTO users VALUES (?, ?, ?)');
    for (const id of rows.users) u.run(id, `u-${id}`, 't');
    const t = db.prepare('INSERT INTO refresh_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const [hash, family, user] of rows.tokens) t.run(hash, family, user, 'datarhei', 0, now, now + 86400 + (Number.parseInt(hash.slice(0, 4), 16) % 3600), null, null);
    const f = db.prepare('INSERT INTO revoked_refresh_families VALUES (?, ?)');
    for (const id of rows.revoked) f.run(id, now);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
}

function workload(db, candidate, rows) {
  const find = db.prepare(
    `SELECT t.token_hash, t.family_id, t.user_id, t.dialect, t.rotating, t.issued_at, t.expires_at, t.used_at,
            COALESCE(t.revoked_at, f.revoked_at) AS revoked_at
     FROM refresh_tokens t LEFT JOIN revoked_refresh_families f ON f.family_id = t.family_id WHERE t.token_hash = ?`,
  );
  const spend = db.prepare(candidate.spend);
  const add = db.prepare('INSERT INTO refresh_tokens (token_hash, family_id, user_id, dialect, rotating, issued_at, expires_at, used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const audit = db.prepare('INSERT INTO audit_events (at, event, outcome, dialect, username, tenant_id, address, detail, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const savepoint = db.transaction((fn) => fn());
  const batch = (fn) => db.transaction(() => {
    for (let k = 0; k < PER_BATCH; k++) savepoint(() => fn(k));
  }).immediate();
  const heads = Array.from({ length: PER_BATCH }, () => ({ hash: null, family: uuid(), user: rows.users[Number.parseInt(hex().slice(0, 6), 16) % USERS] }));
  let n = 0;
  const event = () => audit.run(now * 1000 + n, 'refresh', 'success', 'monogoto', `u${n % 100}`, 't', '127.0.0.1', null, null);
  const rotate = (k) => {
    const h = heads[k];
    const next = hex();
    if (h.hash !== null) {
      if (find.get(h.hash) === undefined) throw new Error('token not found');
      if (spend.run(now, h.hash).changes !== 1) throw new Error('spend failed');
    }
    add.run(next, h.family, h.user, 'monogoto', 1, now, now + 3600 + (n++ % 1000), null, null);
    event();
    h.hash = next;
  };
  let r = 0;
  return {
    rotation: () => batch(rotate),
    'audit row': () => batch(() => (n++, event())),
    findRefreshToken: () => {
      for (let k = 0; k < PER_BATCH; k++) find.get(rows.tokens[r++ % rows.tokens.length][0]);
    },
  };
}

/** µs per operation for `count` batches, and WAL frames per operation (autocheckpoint off while counting). */
function measure(db, step, count) {
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < count; b++) step();
  const wall = Number(process.hrtime.bigint() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  const frames = db.pragma('wal_checkpoint(PASSIVE)')[0].log;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 1000');
  const ops = count * PER_BATCH;
  return { wall: wall / ops, cpu: (cpu.user + cpu.system) / ops, frames: frames / ops };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-schema-'));
  try {
    const rows = seedRows();
    const built = [];
    for (const name of ONLY) {
      const t0 = Date.now();
      const file = path.join(dir, `${name}.db`);
      const kept = DIR && path.join(DIR, `${name}-${TOKENS}.db`);
      let db;
      if (kept && fs.existsSync(kept)) {
        fs.copyFileSync(kept, file);
        db = open(file, undefined, CANDIDATES[name].pragmas);
      } else {
        db = open(file, CANDIDATES[name].ddl, CANDIDATES[name].pragmas);
        seed(db, rows);
        if (kept) {
          fs.mkdirSync(DIR, { recursive: true });
          db.pragma('wal_checkpoint(TRUNCATE)');
          fs.copyFileSync(file, kept);
        }
      }
      built.push({ name, db, phases: workload(db, CANDIDATES[name], rows) });
      process.stderr.write(`[store-schema] ${name}: ${TOKENS.toLocaleString('en')} tokens seeded in ${Date.now() - t0} ms\n`);
    }
    const phases = PHASES;
    const results = new Map();
    for (let round = 0; round < ROUNDS; round++) {
      for (const phase of phases) {
        const order = round % 2 === 0 ? built : [...built].reverse();
        for (const b of order) {
          const key = `${phase}\0${b.name}`;
          if (!results.has(key)) results.set(key, []);
          results.get(key).push(measure(b.db, b.phases[phase], phase === 'findRefreshToken' ? BATCHES * 4 : BATCHES));
        }
      }
      process.stderr.write(`[store-schema] round ${round + 1}/${ROUNDS}\n`);
    }
    console.log(`\n${TOKENS.toLocaleString('en')} tokens; ${ROUNDS} rounds of ${BATCHES} batches x ${PER_BATCH}; median per operation (thread CPU µs, wall µs, WAL pages)`);
    for (const phase of phases) {
      const base = results.get(`${phase}\0${built[0].name}`);
      console.log(`${phase}`);
      for (const b of built) {
        const ms = results.get(`${phase}\0${b.name}`);
        // Per round (the candidates ran one after the other in it): CPU against the first candidate's.
        const ratios = ms.map((m, k) => m.cpu / base[k].cpu);
        console.log(
          `  ${b.name.padEnd(16)} cpu ${median(ms.map((m) => m.cpu)).toFixed(1).padStart(6)} µs  wall ${median(ms.map((m) => m.wall)).toFixed(1).padStart(6)} µs  WAL ${median(ms.map((m) => m.frames)).toFixed(2).padStart(5)} pages  ` +
            `cpu ×${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) of ${built[0].name}`,
        );
      }
    }
    for (const b of built) b.db.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();

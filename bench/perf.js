'use strict';
/**
 * Native view of the server's CPU: Linux `perf record` (cpu-clock, no call graphs) attached to the
 * server during measured windows, summarised by symbol groups. The V8 profile cannot see native
 * work done in libuv I/O callbacks before JavaScript runs (TLS handshakes and record crypto), and
 * node's official binary carries OpenSSL and its symbols inside, so perf names it.
 */
const { spawn, spawnSync } = require('node:child_process');

function perfAvailable() {
  const r = spawnSync('perf', ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** Starts `perf record` on pid for `seconds` (pinned to core 1, next to the load generator). */
function startPerf(pid, file, seconds) {
  const child = spawn('taskset', ['-c', '1', 'perf', 'record', '-q', '-e', 'cpu-clock', '-F', '999', '-p', String(pid), '-o', file, '--', 'sleep', String(seconds)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

const GROUPS = [
  ['kernel (syscalls, loopback TCP, scheduler)', (d, k) => k === 'k' || d.startsWith('[kernel')],
  ['JavaScript (JIT code)', (d) => d.startsWith('[JIT]') || d.startsWith('perf-')],
  ['V8 builtins (interpreter, ICs, stubs)', (d, k, s) => s.startsWith('Builtins_')],
  [
    'OpenSSL crypto math (RSA, ECDHE/ECDSA, SHA, AES-GCM)',
    (d, k, s) => /rsaz|^_*bn_|^BN_|ecp_nistz256|x25519|^fe_|fe64|sha\d*_block|sha256_|sha512_|aesni|aes_gcm|gcm_|ghash|chacha|poly1305|ossl_extract_multiplier|p256|nistp|RSA_mod_exp|MOD_EXP|mont/i.test(s) && !s.startsWith('v8::'),
  ],
  [
    'OpenSSL other (ASN.1/X.509, decoders, provider lookups, TLS state machine)',
    (d, k, s) =>
      /^(ossl_|OPENSSL_|OSSL_|openssl_|CRYPTO_|ERR_|EVP_|evp_|ASN1_|asn1_|X509|x509|d2i_|i2d_|PEM_|pem_|tls_|tls1|tls13|ssl_|SSL_|ssl3_|do_name|EC_|ec_|RSA_|rsa_|DH_|HMAC|hmac|kdf|hkdf|OBJ_|obj_|c2i_|BIO_|bio_|lh_|ENGINE|engine|RAND_|rand_|drbg|PKCS|pkcs|ECDSA|ecdsa|DSA|dsa_|ED25519|X25519|ossl|WPACKET|PACKET|ct_|v3_|i2v|v2i|i2r|ASN1|ERR|CONF|conf_|NCONF|decoder|encoder|keymgmt|store_|def_|int_|sk_|OPENSSL)/.test(s),
  ],
  ['libc malloc/free', (d, k, s) => d.startsWith('libc') && /malloc|free|_int_|unlink_chunk|realloc|calloc|tcache|arena|sysmalloc|consolidate/.test(s)],
  ['libc locks (pthread rwlock/mutex)', (d, k, s) => d.startsWith('libc') && /pthread_|__lll_|futex/.test(s)],
  ['libc other (memcpy, strcmp, …)', (d) => d.startsWith('libc')],
  ['V8 garbage collector', (d, k, s) => /^v8::internal::(.*(Heap|Scaveng|MarkCompact|Marking|Sweep|Evacuat|GC|Minor|MemoryAllocator|PagedSpace|Compactor|Marker))/.test(s) || /^v8::internal::.*::(Scavenge|Mark|Sweep|Evacuate)/.test(s)],
  ['V8 compilers', (d, k, s) => /^v8::internal::(compiler|maglev|baseline|Compiler|interpreter::Bytecode)/.test(s)],
  ['V8 runtime (C++)', (d, k, s) => /^v8::|^v8_|^Builtin|^cppgc::|^heap::/.test(s)],
  ['nghttp2', (d, k, s) => /^nghttp2_/.test(s)],
  ['node C++ http2', (d, k, s) => /^node::http2::/.test(s)],
  ['node C++ crypto/TLS bindings', (d, k, s) => /^node::crypto::/.test(s)],
  ['node C++ other (streams, handles, buffers)', (d, k, s) => /^node::/.test(s)],
  ['libuv', (d, k, s) => /^uv_|^uv__/.test(s)],
  ['libstdc++', (d) => d.startsWith('libstdc++')],
];

function groupOf(dso, kind, sym) {
  for (const [name, test] of GROUPS) if (test(dso, kind, sym)) return name;
  return 'other native';
}

/** Aggregates perf.data files: { samples, groups: [[name, pct]], top: [{sym, dso, pct}] }. */
function summarisePerf(files) {
  const groups = new Map();
  const syms = new Map();
  let total = 0;
  for (const file of files) {
    const r = spawnSync('perf', ['report', '-i', file, '--stdio', '--no-children', '-g', 'none', '--sort', 'dso,sym', '-F', 'sample,dso,sym', '-t', ';'], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (r.status !== 0) continue;
    for (const line of r.stdout.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const parts = line.split(';');
      if (parts.length < 3) continue;
      const n = Number(parts[0].trim());
      if (!Number.isFinite(n)) continue;
      const dso = parts[1].trim();
      const m = parts.slice(2).join(';').trim().match(/^\[(.)\]\s+(.*)$/);
      const kind = m ? m[1] : '.';
      const sym = (m ? m[2] : parts[2]).trim();
      total += n;
      const g = groupOf(dso, kind, sym);
      groups.set(g, (groups.get(g) ?? 0) + n);
      const key = dso.startsWith('[JIT]') ? 'JIT code (all)\u0000[JIT]' : `${sym}\u0000${dso}`;
      syms.set(key, (syms.get(key) ?? 0) + n);
    }
  }
  const pct = (n) => (total ? (100 * n) / total : 0);
  return {
    samples: total,
    groups: [...groups.entries()].map(([k, n]) => [k, pct(n)]).sort((a, b) => b[1] - a[1]),
    top: [...syms.entries()]
      .map(([k, n]) => {
        const [sym, dso] = k.split('\u0000');
        return { sym, dso, pct: pct(n) };
      })
      .sort((a, b) => b.pct - a.pct)
      .slice(0, 20),
  };
}

module.exports = { perfAvailable, startPerf, summarisePerf, groupOf };

// One tenant adds many gateways, one ID per Gateway.Add with 16 in flight, while another tenant calls
// Gateway.Get one call after another (issue 10: 60,000 Adds took others' Get p50 from 7 to 174 ms and
// RSS to 962 MB, since every Add reread and re-sorted every registration). Both clients are child
// processes over real gRPC + mTLS; the gateway runs here. Prints the other tenant's Get latency
// (p50/p99) with no Adds and during the Adds, the Adds' rate, and this process's peak RSS.
// Run after `npm run build`; BENCH_ADDS (default 20000).
'use strict';
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const pino = require('pino');

const ROOT = join(__dirname, '..', '..');
const dist = (p) => require(join(ROOT, 'dist', p));
const ADDS = Number(process.env.BENCH_ADDS || 20000);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

function child(options, onReady) {
  const proc = spawn(process.execPath, [join(__dirname, 'grpc-client.js'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  if (onReady) proc.on('message', onReady);
  const done = new Promise((resolve, reject) => proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`client exited ${code}`)))));
  return { proc, done };
}

async function main() {
  const { loadConfig } = dist('config.js');
  const { startGateway } = dist('gateway.js');
  const dir = mkdtempSync(join(tmpdir(), 'mgw-bench-adds-'));
  const certDir = join(dir, 'certs');
  const overrides = { certDir, dataDir: join(dir, 'data'), grpcHost: '127.0.0.1', grpcPort: 0, httpPort: -1 };
  // Older builds have no quota setting; this one's is lifted so only the directory is measured.
  let config;
  try {
    config = loadConfig({}, { ...overrides, maxGatewaysPerTenant: 1_000_000 });
  } catch {
    config = loadConfig({}, overrides);
  }
  const gateway = await startGateway(config, pino({ level: 'error' }));
  await gateway.core.store.addTenants([
    { tenantId: 'big', gatewayIds: [] },
    { tenantId: 'other', gatewayIds: ['other-1'] },
  ]);
  await gateway.core.directory.refresh('tenants');
  const address = `localhost:${gateway.grpcPort}`;
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

  const probe = async (during) => {
    let ready;
    const isReady = new Promise((resolve) => (ready = resolve));
    const getter = child({ mode: 'get', certDir, address, tenant: 'other', gatewayId: 'other-1' }, ready);
    await isReady;
    const result = await during();
    getter.proc.kill('SIGTERM');
    return { ...(await getter.done), result };
  };
  const quiet = await probe(() => new Promise((resolve) => setTimeout(resolve, 5000)));
  const rssBefore = process.memoryUsage().rss;
  const busy = await probe(() => child({ mode: 'add', certDir, address, tenant: 'big', concurrency: 16, count: ADDS }).done);
  clearInterval(sampler);
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });

  const mb = (b) => (b / 1048576).toFixed(0);
  const row = (name, r) => `| ${name} | ${r.latencies.length} | ${pct(r.latencies, 50).toFixed(2)} | ${pct(r.latencies, 99).toFixed(2)} |`;
  process.stdout.write(
    [
      `Other tenant's Gateway.Get while one tenant adds ${ADDS} gateways (16 Adds in flight), Node ${process.version}`,
      '',
      '| phase | Gets | p50 ms | p99 ms |',
      '|---|---:|---:|---:|',
      row('no Adds (5 s)', quiet),
      row(`during the Adds (${busy.result.seconds.toFixed(1)} s)`, busy),
      '',
      `Adds: ${busy.result.added} ok, ${busy.result.failed} failed, ${(busy.result.added / busy.result.seconds).toFixed(0)}/s; RSS before the Adds ${mb(rssBefore)} MB, peak ${mb(peakRss)} MB`,
      '',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

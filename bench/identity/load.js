// Load generator for the identity benchmark, in its own process: keeps `concurrency` requests in
// flight against one URL for `seconds` over keep-alive HTTPS connections, then prints
// {ok, failed, statuses, seconds, p50Ms, p99Ms, cpuMs} as JSON on stdout (latency of the OK answers; cpuMs its own CPU).
'use strict';
const https = require('node:https');

const { url, ca, method, bodies = [], bearer, concurrency, seconds } = JSON.parse(process.argv[2]);
let next = 0;
// HTTPS trusting the gateway's CA; handshakes happen once per kept-alive connection.
const agent = new https.Agent({ ca, keepAlive: true, maxSockets: concurrency });
const statuses = {};
let ok = 0;
let failed = 0;
const latencies = [];
const deadline = Date.now() + seconds * 1000;

function once() {
  const body = bodies.length ? bodies[next++ % bodies.length] : undefined;
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const headers = {};
    if (body) headers['content-type'] = 'application/json';
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const req = https.request(url, { method, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
        if (res.statusCode === 200) {
          ok++;
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        } else failed++;
        resolve();
      });
    });
    req.on('error', () => {
      failed++;
      resolve();
    });
    req.end(body || undefined);
  });
}

async function worker() {
  while (Date.now() < deadline) await once();
}

const started = process.hrtime.bigint();
const cpuAtStart = process.cpuUsage();
Promise.all(Array.from({ length: concurrency }, worker)).then(() => {
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : NaN);
  // Its own CPU (user + system, ms): it shares the machine's cores with the gateway it loads.
  const { user, system } = process.cpuUsage(cpuAtStart);
  process.stdout.write(JSON.stringify({ ok, failed, statuses, seconds: elapsed, p50Ms: at(0.5), p99Ms: at(0.99), cpuMs: (user + system) / 1000 }));
  agent.destroy();
});

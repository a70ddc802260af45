// Load generator for the identity benchmark, in its own process: keeps `concurrency` requests in
// flight against one URL for `seconds` over keep-alive HTTPS connections, then prints
// {ok, failed, statuses, seconds} as JSON on stdout.
'use strict';
const https = require('node:https');

const { url, ca, method, bodies = [], bearer, concurrency, seconds } = JSON.parse(process.argv[2]);
let next = 0;
// HTTPS trusting the gateway's CA; handshakes happen once per kept-alive connection.
const agent = new https.Agent({ ca, keepAlive: true, maxSockets: concurrency });
const statuses = {};
let ok = 0;
let failed = 0;
const deadline = Date.now() + seconds * 1000;

function once() {
  const body = bodies.length ? bodies[next++ % bodies.length] : undefined;
  return new Promise((resolve) => {
    const headers = {};
    if (body) headers['content-type'] = 'application/json';
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const req = https.request(url, { method, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
        if (res.statusCode === 200) ok++;
        else failed++;
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
Promise.all(Array.from({ length: concurrency }, worker)).then(() => {
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ ok, failed, statuses, seconds: elapsed }));
  agent.destroy();
});

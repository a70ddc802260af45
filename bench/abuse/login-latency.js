// Child process of keygen-logins.js: one password login after another for `seconds`, then prints the
// latencies (ms) as JSON on stdout.
'use strict';
const http = require('node:http');

const { url, body, seconds } = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const latencies = [];
let failed = 0;

const once = () =>
  new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        else failed++;
        resolve();
      });
    });
    req.on('error', () => {
      failed++;
      resolve();
    });
    req.end(body);
  });

(async () => {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) await once();
  process.stdout.write(JSON.stringify({ latencies, failed }));
  agent.destroy();
})();

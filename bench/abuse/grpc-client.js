// Child process of many-adds.js: logs in with the administrator certificate acting as a tenant, then
// either adds `count` gateways (`concurrency` Adds in flight, one ID each) or calls Gateway.Get of one
// gateway, one call after another, until told to stop (SIGTERM). Prints JSON on stdout.
'use strict';
const grpc = require('@grpc/grpc-js');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const { GatewayService } = require(join(ROOT, 'dist', 'gen', 'gsdk', 'gateway', 'gateway.js'));
const { LoginService } = require(join(ROOT, 'dist', 'gen', 'gsdk', 'login', 'login.js'));
const o = JSON.parse(process.argv[2]);

const creds = grpc.credentials.createSsl(readFileSync(join(o.certDir, 'ca.crt')), readFileSync(join(o.certDir, 'admin_key.pem')), readFileSync(join(o.certDir, 'admin.crt')));
const client = (def) => new (grpc.makeGenericClientConstructor(def, 'svc'))(o.address, creds);
const call = (c, method, req, md = new grpc.Metadata()) => new Promise((resolve, reject) => c[method](req, md, (e, r) => (e ? reject(e) : resolve(r))));

(async () => {
  const { jwtToken } = await call(client(LoginService), 'loginAdmin', { adminTenantCert: readFileSync(join(o.certDir, 'admin.crt'), 'utf8'), tenantID: o.tenant });
  const md = new grpc.Metadata();
  md.set('token', jwtToken);
  const gateways = client(GatewayService);
  if (o.mode === 'add') {
    let next = 0;
    let failed = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (next < o.count) {
          const id = `${o.tenant}-${next++}`;
          await call(gateways, 'add', { gatewayIDs: [id] }, md).catch(() => failed++);
        }
      }),
    );
    process.stdout.write(JSON.stringify({ added: o.count - failed, failed, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
    process.exit(0);
  }
  const latencies = [];
  let stop = false;
  process.on('SIGTERM', () => (stop = true));
  process.send?.('ready');
  while (!stop) {
    const t = process.hrtime.bigint();
    await call(gateways, 'get', { gatewayIDs: [o.gatewayId] }, md);
    latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  process.stdout.write(JSON.stringify({ latencies }));
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});

// A device gateway in its own process (so a test can kill it mid-connection): Subscribe, then hold
// InitCommandChan open and print "open" once the master's INIT_CHAN request arrives.
'use strict';
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const { join } = require('node:path');

const [address, caPem, certPem, keyPem] = ['ADDRESS', 'CA', 'CERT', 'KEY'].map((k) => process.env[`DGW_${k}`]);
const def = loader.loadSync('gsdk/master/master.proto', { includeDirs: [join(__dirname, '..', '..', 'proto')], keepCase: true });
const { gsdk } = grpc.loadPackageDefinition(def);
const creds = grpc.credentials.createSsl(Buffer.from(caPem), Buffer.from(keyPem), Buffer.from(certPem));
const master = new gsdk.master.Master(address, creds);

master.Subscribe({ gatewayCert: certPem }, (err) => {
  if (err) {
    process.stdout.write(`error ${err.code}\n`);
    process.exit(1);
  }
  const chan = master.InitCommandChan();
  chan.once('data', () => process.stdout.write('open\n'));
  chan.on('error', () => process.exit(2));
});

/** Expiry warnings follow the injected clock: nothing until 30 days are left, then one line per certificate and check. */
import { Writable } from 'node:stream';
import { createExpiryWarnings, CERT_EXPIRES_SOON, WatchedCertificate } from '../../src/expiry-warnings';
import { createLogger } from '../../src/logger';
import { createAuthority, issueLeaf } from '../../src/pki/authority';

const DAY = 86_400_000;

it('warns with CERT_EXPIRES_SOON once the server certificate or a CA has fewer than 30 days left', () => {
  const start = Date.now();
  const ca = createAuthority({ keyType: 'ec', notAfter: new Date(start + 400 * DAY) });
  const server = issueLeaf(ca, { kind: 'server', names: ['localhost'] }, { keyType: 'ec', notAfter: new Date(start + 100 * DAY) });
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }));
  let now = start;
  const watched: WatchedCertificate[] = [
    { role: 'server', file: 'server.crt', cert: server.cert },
    { role: 'ca', file: 'ca.crt', cert: ca.cert },
  ];
  const warnings = createExpiryWarnings(() => watched, () => now, log);
  try {
    expect(warnings.check()).toEqual([]);
    now = start + 75 * DAY;
    expect(warnings.check().map((c) => c.role)).toEqual(['server']);
    const line = JSON.parse(lines[lines.length - 1]);
    expect(line).toMatchObject({ level: 40, code: CERT_EXPIRES_SOON, role: 'server', daysLeft: 24, serial: server.record.serial.toString() });
    expect(line.msg).toMatch(/certs server/);
    now = start + 380 * DAY;
    // The server certificate has expired by then (the gateway refuses it elsewhere); the CA is due.
    expect(warnings.check().map((c) => c.role)).toEqual(['ca']);
  } finally {
    warnings.close();
  }
});

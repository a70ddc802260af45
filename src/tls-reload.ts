/**
 * Server-certificate lifecycle of a running gateway: on SIGHUP, and when a file of the certificate
 * directory (or of GATEWAY_HTTP_CERT / GATEWAY_HTTP_KEY) changes, the TLS files are read and checked
 * again as at start. Good ones are served to new handshakes of both doors (tls.Server#setSecureContext:
 * open connections keep theirs) and the new ca.crt verifies clients from then on; anything a client
 * would trip over (unreadable, half-written, expired, a key of another certificate, not a server
 * certificate, not issued by ca.crt) is refused with one warning and the previous files stay in force.
 * A new ca_key.pem (a CA rollover) becomes the CA that CreateCertificate issues with.
 */
import { FSWatcher, watch } from 'node:fs';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import { Logger } from 'pino';
import { Config } from './config';
import { ErrorCode } from './errors';
import { Clock } from './core/clock';
import { HttpTls, loadHttpTls } from './http/http-tls';
import { Authority, fingerprintHex, loadAuthority } from './pki/authority';
import { serialOf } from './pki/read-certificate';
import { loadTlsMaterial, ServerTls } from './tls-material';

/** The refusal's stable code in the log. */
export const TLS_RELOAD_REFUSED = 'ERR_TLS_RELOAD_REFUSED' satisfies ErrorCode;
/** Files are replaced by rename, a key and its certificate one after the other: one read after the burst. */
export const RELOAD_DEBOUNCE_MS = 250;

export type ReloadOutcome = 'reloaded' | 'unchanged' | 'refused';

export interface TlsTargets {
  grpc: { setTls(tls: ServerTls): void };
  /** Undefined when the HTTP bridge is off or plaintext. */
  http?: { setTls(tls: HttpTls): void };
  /** The CA that CreateCertificate issues with; undefined when the gateway started without ca_key.pem. */
  authority?: { set(authority: Authority): void };
}

export interface TlsReloader {
  current(): { tls: ServerTls; httpTls?: HttpTls };
  reload(trigger: string): ReloadOutcome;
  /** Reloads (debounced) whenever something in the watched directories changes. */
  watch(): void;
  close(): void;
}

type ReloadConfig = Pick<Config, 'certDir' | 'httpTls' | 'httpCert' | 'httpKey'>;

export function createTlsReloader(
  config: ReloadConfig,
  initial: { tls: ServerTls; httpTls?: HttpTls },
  targets: TlsTargets,
  clock: Clock,
  log: Logger,
  onReloaded: (tls: ServerTls) => void = () => undefined,
): TlsReloader {
  let state = initial;
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const sameFiles = (a: typeof state, b: typeof state) =>
    a.tls.caPem === b.tls.caPem &&
    a.tls.serverCertPem === b.tls.serverCertPem &&
    a.tls.serverKeyPem === b.tls.serverKeyPem &&
    a.tls.caKeyPem === b.tls.caKeyPem &&
    a.httpTls?.certPem === b.httpTls?.certPem &&
    a.httpTls?.keyPem === b.httpTls?.keyPem;

  function reload(trigger: string): ReloadOutcome {
    let next: typeof state;
    let authority: Authority | undefined;
    try {
      const tls = loadTlsMaterial(config.certDir, clock());
      const httpTls = targets.http ? loadHttpTls(config, tls, clock()) : undefined;
      next = { tls, httpTls };
      if (sameFiles(next, state)) {
        // An operator who sent SIGHUP is told; a directory change that touched nothing of ours is not worth a line.
        log[trigger === 'SIGHUP' ? 'info' : 'debug']({ trigger }, 'TLS files unchanged: nothing to reload');
        return 'unchanged';
      }
      // OpenSSL's own reading, before either door is touched: both take the new files or neither does.
      createSecureContext({ ca: tls.caPem, cert: tls.serverCertPem, key: tls.serverKeyPem });
      if (httpTls) createSecureContext({ cert: httpTls.certPem, key: httpTls.keyPem });
      // A ca_key.pem that belongs to no CA of ca.crt stops a start; here it refuses the reload.
      authority = targets.authority && tls.caKeyPem ? loadAuthority(tls.caPem, tls.caKeyPem) : undefined;
    } catch (err) {
      log.warn({ code: TLS_RELOAD_REFUSED, trigger, reason: (err as Error).message }, 'new TLS files refused: the previous certificate is still served');
      return 'refused';
    }
    targets.grpc.setTls(next.tls);
    if (targets.http && next.httpTls) targets.http.setTls(next.httpTls);
    if (authority) targets.authority?.set(authority);
    state = next;
    log.info(
      {
        trigger,
        serial: serialOf(next.tls.server).toString(),
        sha256: fingerprintHex(next.tls.server),
        notAfter: new Date(next.tls.server.validTo).toISOString(),
        cas: next.tls.cas.length,
      },
      'TLS certificate reloaded: new connections get it, open ones keep theirs',
    );
    onReloaded(next.tls);
    return 'reloaded';
  }

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => reload('file change'), RELOAD_DEBOUNCE_MS);
    timer.unref();
  }

  function startWatching(): void {
    const dirs = new Set([config.certDir, ...(targets.http && config.httpCert ? [dirname(config.httpCert), dirname(config.httpKey)] : [])]);
    for (const dir of dirs) {
      try {
        const watcher = watch(dir, { persistent: false }, schedule);
        watcher.on('error', (err) => log.warn({ code: TLS_RELOAD_REFUSED, dir, reason: err.message }, 'no longer watching the certificate directory: reload with SIGHUP'));
        watchers.push(watcher);
      } catch (err) {
        log.warn({ code: TLS_RELOAD_REFUSED, dir, reason: (err as Error).message }, 'cannot watch the certificate directory: reload with SIGHUP');
      }
    }
  }

  return {
    current: () => state,
    reload,
    watch: startWatching,
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.splice(0)) w.close();
    },
  };
}

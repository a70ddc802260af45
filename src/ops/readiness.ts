/**
 * Whether the gateway should be sent traffic: the one answer behind both the gRPC health service
 * (overall status '') and the operations listener's /readyz. Ready = the store answers, every door
 * listens, no drain has begun, and the server certificate and the CA are within their validity.
 * The store is pinged once a second; the rest is read when asked.
 */
import { X509Certificate } from 'node:crypto';
import { Clock } from '../core/clock';

export interface CertificateValidity {
  /** Bounded label: 'server' or 'ca'. */
  name: string;
  notBefore: number;
  notAfter: number;
}

/** The validity window of a PEM certificate (the first one in the text, as node:crypto reads it). */
export function certificateValidity(name: string, cert: X509Certificate | string): CertificateValidity {
  const x509 = typeof cert === 'string' ? new X509Certificate(cert) : cert;
  return { name, notBefore: Date.parse(x509.validFrom), notAfter: Date.parse(x509.validTo) };
}

export interface Readiness {
  /** Why traffic should not come here; empty when ready. */
  reasons(): string[];
  ready(): boolean;
  /** Every door is bound. */
  listening(): void;
  /** A drain has begun: not ready again in this process. */
  draining(): void;
  /** Called with the new answer each time it changes (and once at once with the current one). */
  onChange(listener: (ready: boolean) => void): void;
  stop(): void;
}

export interface ReadinessOptions {
  ping: () => Promise<void>;
  clock: Clock;
  certificates: () => readonly CertificateValidity[];
  intervalMs?: number;
}

export function createReadiness({ ping, clock, certificates, intervalMs = 1000 }: ReadinessOptions): Readiness {
  // The store was opened and read moments before: it answers until a ping says otherwise.
  let storeAnswers = true;
  let bound = false;
  let drained = false;
  const listeners: ((ready: boolean) => void)[] = [];
  let last: boolean | undefined;

  const reasons = (): string[] => {
    const out: string[] = [];
    if (!storeAnswers) out.push('store does not answer');
    if (!bound) out.push('not every listener is bound');
    if (drained) out.push('draining');
    const now = clock();
    for (const cert of certificates()) {
      if (now < cert.notBefore) out.push(`${cert.name} certificate not yet valid`);
      else if (now > cert.notAfter) out.push(`${cert.name} certificate expired`);
    }
    return out;
  };
  const changed = () => {
    const ready = reasons().length === 0;
    if (ready === last) return;
    last = ready;
    for (const listener of listeners) listener(ready);
  };
  const probe = setInterval(() => {
    ping().then(
      () => {
        storeAnswers = true;
        changed();
      },
      () => {
        storeAnswers = false;
        changed();
      },
    );
  }, intervalMs);
  probe.unref();

  return {
    reasons,
    ready: () => reasons().length === 0,
    listening() {
      bound = true;
      changed();
    },
    draining() {
      drained = true;
      clearInterval(probe);
      changed();
    },
    onChange(listener) {
      listeners.push(listener);
      listener(reasons().length === 0);
    },
    stop: () => clearInterval(probe),
  };
}

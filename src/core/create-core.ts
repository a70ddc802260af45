/** Composition of the identity core from a store: keys, directory, tokens, auth and the admin services. */
import { Logger } from 'pino';
import { Authority } from '../pki/authority';
import { Store, StoreTopic } from '../store/store';
import { Auth, createAuth } from './auth';
import { Certificates } from './certificates';
import { Clock, systemClock } from './clock';
import { createAdmin } from './create-admin';
import { auditedCertificates, auditedGateways, auditedTenants, createRecorder } from './audited-admin';
import { peerActor } from './actor';
import { auditLogins, createLoginAudit } from './login-audit';
import { Peer } from './peer';
import { createDeviceGateways, DeviceGateways } from './device-gateways';
import { createDirectory, Directory, revocationPurgeCutoff } from './directory';
import { Audit } from './identity/audit';
import { createIdentity, Identity } from './identity/create-identity';
import { DEFAULT_LOCKOUT } from './identity/lockout';
import { DEFAULT_PASSWORD_COST, PasswordCost } from './identity/passwords';
import { createGateways, Gateways } from './gateways';
import { createKeyRing, KeyRing } from './key-ring';
import { CoreMetrics } from './metrics';
import { SecretBox } from './secret-box';
import { createPresence, Presence, PresenceOptions } from './presence';
import { createSessions, Sessions } from './sessions';
import { createStatusHub, StatusHub } from './status-hub';
import { Roles } from './roles';
import { Tenants } from './tenants';
import { createTokenService, TokenService } from './tokens';

const PURGE_INTERVAL_MS = 3_600_000;

export interface Core {
  store: Store;
  clock: Clock;
  keys: KeyRing;
  directory: Directory;
  tokens: TokenService;
  auth: Auth;
  tenants: Tenants;
  gateways: Gateways;
  certificates: Certificates;
  roles: Roles;
  sessions: Sessions;
  hub: StatusHub;
  devices: DeviceGateways;
  identity: Identity;
  presence: Presence;
  /** The administrative operations as a gRPC caller makes them: each change recorded with the connection's certificate. */
  adminAs(peer: Peer | undefined): Pick<Core, 'tenants' | 'gateways' | 'certificates'>;
  /** Takes in a change another process made and said so (a sibling worker): resolves once applied here. */
  applyChange(topic: StoreTopic): Promise<void>;
  close(): Promise<void>;
}

export interface CoreOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  tokenIssuer: string;
  tokenTtlSeconds: number;
  /** The CA with its key; without it the gateway serves but cannot issue certificates. */
  authority?: Authority;
  passwordCost?: PasswordCost;
  lockoutThreshold?: number;
  lockoutSeconds?: number;
  presence?: PresenceOptions;
  /** Encrypts the signing keys and HMAC secrets in the store (see secret-box.ts). */
  secretBox: SecretBox;
  /** Gateways one tenant may register (DEFAULT_MAX_GATEWAYS_PER_TENANT). */
  maxGatewaysPerTenant?: number;
  /** Certificates one tenant may have issued per minute (DEFAULT_CERTIFICATES_PER_MINUTE). */
  certificatesPerMinute?: number;
  /** Audit events are kept this long (DEFAULT_AUDIT_RETENTION_DAYS). */
  auditRetentionDays?: number;
  /** Open SubscribeStatus streams per tenant. */
  statusSubscribersPerTenant?: number;
  /** Counts what the core does for /metrics (src/ops/); nothing is counted without it. */
  metrics?: CoreMetrics;
}

/** The part of the options the configuration decides (see src/core-settings.ts): the same for `serve` and the CLI. */
export type CoreSettings = Omit<CoreOptions, 'store' | 'clock' | 'log' | 'authority' | 'secretBox' | 'metrics'>;

export async function createCore(options: CoreOptions): Promise<Core> {
  const { store, clock, log, tokenIssuer, tokenTtlSeconds, authority } = options;
  const directory = await createDirectory(store, clock);
  // A retired key's tokens stop at once: cached token checks go stale and look at their kid again.
  const keys = await createKeyRing(store, clock, options.secretBox, () => directory.noteRevoked());
  const tokens = createTokenService({ issuer: tokenIssuer, ttlSeconds: tokenTtlSeconds, clock, keys });
  // gRPC logins are audited in batches, off their hot path (login-audit.ts).
  const loginAudit = createLoginAudit(store, clock, log);
  const auth = auditLogins(createAuth({ clock, directory, tokens, store, metrics: options.metrics }), loginAudit);
  const hub = createStatusHub(clock, { subscribersPerTenant: options.statusSubscribersPerTenant });
  const sessions = createSessions();
  /** Device gateways whose registration or certificate is gone lose their session and channels at once. */
  const pruneDeviceGateways = () => devices.recheckAll();
  const { tenants, certificates, roles } = createAdmin({
    store,
    clock,
    directory,
    authority,
    maxGatewaysPerTenant: options.maxGatewaysPerTenant,
    certificatesPerMinute: options.certificatesPerMinute,
    onCutOff: pruneDeviceGateways,
  });
  const gateways = createGateways(directory, hub, tenants, certificates);
  const devices = createDeviceGateways(auth, directory, sessions, hub, log);
  const identity = await createIdentity({
    store,
    clock,
    log,
    directory,
    keys,
    issuer: tokenIssuer,
    passwordCost: options.passwordCost ?? DEFAULT_PASSWORD_COST,
    lockoutThreshold: options.lockoutThreshold ?? DEFAULT_LOCKOUT.accountThreshold,
    lockoutSeconds: options.lockoutSeconds ?? DEFAULT_LOCKOUT.lockoutMs / 1000,
    auditRetentionDays: options.auditRetentionDays,
    metrics: options.metrics,
  });
  // A change is recorded after the logins that came before it (the login that gave its caller a token).
  const adminAudit: Audit = async (event) => {
    await loginAudit.flush();
    await identity.audit(event);
  };
  // Liveness is compared across processes, so it runs on the wall clock, not the injected one.
  const presence = await createPresence(store, hub, systemClock, log, options.presence);
  const applyChange = (topic: StoreTopic, external = true): Promise<void> => {
    const reload: Promise<unknown> = topic === 'keys' ? keys.reload() : topic === 'presence' ? presence.refresh() : directory.refresh(topic, external);
    // Device gateways hold no tokens and are no users: a revocation (a logout on another worker) or a
    // user change needs no pass over their sessions.
    return topic === 'tokens' || topic === 'users' ? reload.then(() => undefined) : reload.then(pruneDeviceGateways);
  };
  // Changes made by another process (the CLI, another instance) take effect here too.
  const stopWatching = store.onChange((topic, external) => {
    // This process's revocations moved the revocation epoch already (noteRevoked); nothing else
    // depends on them, so a logout costs no pass over the device gateway sessions.
    if (topic === 'tokens' && !external) return;
    applyChange(topic, external).catch((err: unknown) => log.error({ err, topic }, 'reloading from the store failed'));
  });
  // Lockout counters and refresh tokens nothing will read again, and audit events past their
  // retention, go at start and hourly: one run at a time, in the background; close() stops it
  // between batches and waits for it.
  const stopPurging = new AbortController();
  let purging: Promise<void> | undefined;
  const purgeIdentity = () => {
    purging ??= identity
      .purge(stopPurging.signal)
      .then(
        (purged) => log.debug({ purged }, 'purged stale lockout counters and refresh tokens'),
        (err: unknown) => log.warn({ err }, 'purging stale lockout counters and refresh tokens failed'),
      )
      .then(() => identity.purgeAudit(stopPurging.signal))
      .then(
        (auditEvents) => log.debug({ auditEvents }, 'purged audit events past their retention'),
        (err: unknown) => log.warn({ err }, 'purging audit events past their retention failed'),
      )
      .finally(() => {
        purging = undefined;
      });
  };
  purgeIdentity();
  // Revocations are looked up in the store, one by one; the ones that ran out go now and then.
  const purge = setInterval(() => {
    store.purgeRevokedTokens(revocationPurgeCutoff(clock)).catch((err: unknown) => log.warn({ err }, 'purging expired revocations failed'));
    purgeIdentity();
  }, PURGE_INTERVAL_MS);
  purge.unref();
  return {
    store,
    clock,
    keys,
    directory,
    tokens,
    auth,
    tenants,
    gateways,
    certificates,
    roles,
    sessions,
    hub,
    devices,
    identity,
    presence,
    adminAs(peer) {
      const rec = createRecorder(adminAudit, peerActor(peer));
      return { tenants: auditedTenants(tenants, rec), gateways: auditedGateways(gateways, rec), certificates: auditedCertificates(certificates, rec) };
    },
    applyChange,
    async close() {
      await loginAudit.close();
      stopWatching();
      clearInterval(purge);
      stopPurging.abort();
      await purging;
      hub.close();
      await presence.close();
    },
  };
}

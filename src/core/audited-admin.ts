/**
 * Every administrative change recorded once, here, whichever door asked (the Tenant and Gateway
 * APIs, the CLI): the door passes its actor, the change runs, and an audit event says who did what
 * to which tenant and how it ended (a refusal with its error code). Reads pass through unrecorded.
 * The change is answered only once its event is written (or the write failed and was logged).
 */
import { AuditKind, SigningKeyRecord, SigningKeyStore } from '../store/store';
import { Actor, reasonOf } from './actor';
import { Certificates } from './certificates';
import { Clock } from './clock';
import { Gateways } from './gateways';
import { Audit } from './identity/audit';
import { Users } from './identity/users';
import { Roles } from './roles';
import { SecretBox } from './secret-box';
import { resealSigningKeys, retireSigningKey, rotateHmacSecrets, rotateSigningKey } from './signing-keys';
import { Tenants } from './tenants';

/** A detail names what a change touched; a batch of hundreds of IDs is cut short. */
const MAX_DETAIL = 512;
const list = (values: unknown[]) => {
  const text = values.map(String).join(',');
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
};

export type Recorder = <T>(kind: AuditKind, tenantIds: (string | null)[], detail: string | null | ((result: T) => string), run: () => Promise<T>) => Promise<T>;

/** Runs a change and records it, one event per tenant it touched (one without a tenant for none). */
export function createRecorder(audit: Audit, actor: Actor): Recorder {
  return async (kind, tenantIds, detail, run) => {
    const tenants = tenantIds.length ? [...new Set(tenantIds)] : [null];
    const write = async (outcome: 'success' | 'failure', text: string | null) => {
      for (const tenantId of tenants) await audit({ event: kind, outcome, dialect: actor.door, actor: actor.name, tenantId, detail: text });
    };
    let result;
    try {
      result = await run();
    } catch (err) {
      await write('failure', reasonOf(err));
      throw err;
    }
    await write('success', typeof detail === 'function' ? detail(result) : detail);
    return result;
  };
}

export const auditedTenants = (t: Tenants, rec: Recorder): Tenants => ({
  ...t,
  add: (tenants) => rec('tenant_add', tenants.map((x) => x.tenantId), null, () => t.add(tenants)),
  delete: (ids) => rec('tenant_delete', ids, null, () => t.delete(ids)),
  addGateways: (tenantId, ids) => rec('gateway_add', [tenantId], list(ids), () => t.addGateways(tenantId, ids)),
  deleteGateways: (gateways) => rec('gateway_delete', gateways.map((g) => g.tenantId), list(gateways.map((g) => g.gatewayId)), () => t.deleteGateways(gateways)),
  issueCertificate: (tenantId, subject, years) => rec('certificate_issue', [tenantId], (c) => `serial ${c.serial}`, () => t.issueCertificate(tenantId, subject, years)),
});

export const auditedGateways = (g: Gateways, rec: Recorder): Gateways => ({
  ...g,
  add: (scope, ids) => rec('gateway_add', [scope.tenantId], list(ids), () => g.add(scope, ids)),
  delete: (scope, ids) => rec('gateway_delete', [scope.tenantId], list(ids), () => g.delete(scope, ids)),
});

export const auditedCertificates = (c: Certificates, rec: Recorder): Certificates => ({
  ...c,
  issue: (identity, subject, years) =>
    rec('certificate_issue', [identity.tenantId], (i) => `serial ${i.serial}${identity.kind === 'gateway' ? ` gateway ${identity.gatewayId}` : ''}`, () => c.issue(identity, subject, years)),
  blacklist: (owner, serials) => rec('certificate_blacklist', [owner.tenantId], `serials ${list(serials)}`, () => c.blacklist(owner, serials)),
  unblacklist: (owner, serials) => rec('certificate_unblacklist', [owner.tenantId], `serials ${list(serials)}`, () => c.unblacklist(owner, serials)),
  blacklistSerial: (serial, named) => rec('certificate_blacklist', named ? [named.tenantId] : [], `serial ${serial}`, () => c.blacklistSerial(serial, named)),
  unblacklistSerial: (serial) => rec('certificate_unblacklist', [], `serial ${serial}`, () => c.unblacklistSerial(serial)),
});

export const auditedRoles = (r: Roles, rec: Recorder): Roles => ({
  ...r,
  set: (name, permissions) => rec('role_set', [], `role ${name}`.slice(0, MAX_DETAIL), () => r.set(name, permissions)),
  delete: (name) => rec('role_delete', [], `role ${name}`.slice(0, MAX_DETAIL), () => r.delete(name)),
});

/** The password itself is never part of the event; the user's name is. */
export const auditedUsers = (u: Users, rec: Recorder): Users => ({
  ...u,
  add: (user) => rec('user_add', [user.tenantId], `user ${user.username}`.slice(0, MAX_DETAIL), () => u.add(user)),
  setPassword: (username, password, options) => rec('user_password', [], `user ${username}`.slice(0, MAX_DETAIL), () => u.setPassword(username, password, options)),
  update: (username, patch) => rec('user_update', [], `user ${username}: ${Object.keys(patch).join(',')}`.slice(0, MAX_DETAIL), () => u.update(username, patch)),
  remove: (username) => rec('user_remove', [], `user ${username}`.slice(0, MAX_DETAIL), () => u.remove(username)),
});

/** The key operations of signing-keys.ts (the CLI's `keys`), recorded. */
export interface KeyAdmin {
  rotate(): Promise<SigningKeyRecord>;
  retire(kid: string): Promise<void>;
  rotateHmac(names?: string[]): Promise<string[]>;
  reencrypt(): Promise<number>;
}

export const auditedKeys = (store: SigningKeyStore, box: SecretBox, clock: Clock, rec: Recorder): KeyAdmin => ({
  rotate: () => rec('key_rotate', [], (k) => `kid ${k.kid}`, () => rotateSigningKey(store, box, clock)),
  retire: (kid) => rec('key_retire', [], `kid ${kid}`.slice(0, MAX_DETAIL), () => retireSigningKey(store, kid)),
  rotateHmac: (names) => rec('hmac_rotate', [], (done) => `secrets ${list(done)}`, () => rotateHmacSecrets(store, box, clock, names)),
  reencrypt: () => rec('key_reencrypt', [], (n) => `${n} re-encrypted under ${box.primaryId}`, () => resealSigningKeys(store, box, true)),
});

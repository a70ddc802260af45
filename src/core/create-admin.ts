/**
 * The administrative operations (tenants and their gateway registrations, certificates, roles),
 * composed in one place: the server's core and every CLI command take them from here, with the
 * same configured limits, so the Tenant API and the CLI follow the same rules.
 */
import { Authority } from '../pki/authority';
import { Store } from '../store/store';
import { Certificates, createCertificates } from './certificates';
import { Clock } from './clock';
import { Directory } from './directory';
import { createRoles, Roles } from './roles';
import { createTenants, Tenants } from './tenants';

export interface Admin {
  tenants: Tenants;
  certificates: Certificates;
  roles: Roles;
}

export interface AdminOptions {
  store: Store;
  clock: Clock;
  directory: Directory;
  /** The CA with its key; without it no certificate can be issued. */
  authority?: Authority;
  /** Gateways one tenant may register (DEFAULT_MAX_GATEWAYS_PER_TENANT). */
  maxGatewaysPerTenant?: number;
  /** Certificates one tenant may have issued per minute (DEFAULT_CERTIFICATES_PER_MINUTE). */
  certificatesPerMinute?: number;
  /**
   * Ends what a removed registration or a blacklisting cut off in this process (device gateway
   * sessions). A CLI process holds none; running gateways hear of its changes through the store.
   */
  onCutOff?: () => void;
}

export function createAdmin(o: AdminOptions): Admin {
  const onCutOff = o.onCutOff ?? (() => undefined);
  const certificates = createCertificates(o.store, o.directory, o.clock, o.authority, onCutOff, o.certificatesPerMinute);
  const { store, directory, clock, maxGatewaysPerTenant } = o;
  return {
    tenants: createTenants({ store, directory, clock, certificates, onGatewaysRemoved: onCutOff, maxGatewaysPerTenant }),
    certificates,
    roles: createRoles(store, clock),
  };
}

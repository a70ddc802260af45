import { QuotaExceeded } from '../errors';

/** The refusal of an add that would pass a tenant's gateway quota, worded alike by every backend. */
export const quotaExceeded = (tenantId: string, registered: number, adding: number, max: number) =>
  new QuotaExceeded(`tenant ${tenantId} has ${registered} gateways; adding ${adding} would pass its limit of ${max}; nothing was added`);

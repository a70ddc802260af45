/**
 * The largest request message each method takes, enforced before the message is parsed: decoding
 * a 4 MB message of 1.4M repeated entries held the event loop for 220–315 ms. grpc-js refuses
 * anything over MAX_REQUEST_BYTES before buffering it (RESOURCE_EXHAUSTED); below that, a method's
 * deserializer sees the byte count first and answers OVERSIZED instead of parsing, which the
 * door's interceptor turns into RESOURCE_EXHAUSTED.
 *
 * Sizes, from what a real G-SDK request holds:
 * - 16 KiB: one PEM certificate (Login, LoginAdmin, Master.Subscribe: an RSA-4096 certificate with
 *   the profile's extensions is ~2.2 KB of PEM), a PKIName (CreateCertificate), one realtime event
 *   or device status (each message of InitLogChan and InitDeviceStatusChan), or nothing at all.
 * - 128 KiB: a list of up to MAX_LIST (1000) IDs of up to 64 characters is 66,000 bytes encoded;
 *   1000 serials are ~11 KB; UpdateDeviceList's 10,000 device IDs are at most 60 KB.
 * - 256 KiB: Tenant.Add, a list of tenants each with its gateway IDs.
 */
import { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

const KiB = 1024;
const SMALL = 16 * KiB;
const LIST = 128 * KiB;
export const MAX_REQUEST_BYTES = 256 * KiB;

/** By `Service/Method`, whatever the package (the pre-V1.5 aliases share their limits). */
const LIMITS: Record<string, number> = {
  'Tenant/Add': MAX_REQUEST_BYTES,
  ...Object.fromEntries(
    [
      'Tenant/Get',
      'Tenant/Delete',
      'Tenant/AddGateway',
      'Tenant/DeleteGateway',
      'Tenant/GetIssuanceHistory',
      'Tenant/GetCertificateBlacklist',
      'Tenant/AddCertificateBlacklist',
      'Tenant/DeleteCertificateBlacklist',
      'Gateway/Get',
      'Gateway/Add',
      'Gateway/Delete',
      'Gateway/GetIssuanceHistory',
      'Gateway/GetCertificateBlacklist',
      'Gateway/AddCertificateBlacklist',
      'Gateway/DeleteCertificateBlacklist',
      'Master/UpdateDeviceList',
      'Master/InitCommandChan',
    ].map((m) => [m, LIST]),
  ),
};

/** What a limited deserializer returns instead of parsing an oversized message. */
export const OVERSIZED: unique symbol = Symbol('oversized request');

/** The limit of a method path such as `/gsdk.login.Login/Login`; every method not listed is SMALL. */
export function requestLimit(path: string): number {
  const method = path.slice(path.lastIndexOf('/') + 1);
  const service = path.slice(path.lastIndexOf('.', path.lastIndexOf('/')) + 1, path.lastIndexOf('/'));
  return LIMITS[`${service}/${method}`] ?? SMALL;
}

/** The same service, each method's requests checked for size before they are parsed. */
export function withRequestLimits<T extends ServiceDefinition>(definition: T): T {
  const methods = Object.entries(definition).map(([name, method]: [string, MethodDefinition<unknown, unknown>]) => {
    const limit = requestLimit(method.path);
    const parse = method.requestDeserialize;
    return [name, { ...method, requestDeserialize: (bytes: Buffer) => (bytes.length > limit ? OVERSIZED : parse(bytes)) }];
  });
  return Object.fromEntries(methods) as T;
}

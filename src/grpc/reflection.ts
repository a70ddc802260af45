/**
 * Server reflection over the descriptors buf compiled from proto/ (src/gen/descriptor-set.ts): real
 * file names (gsdk/tenant/tenant.proto) and declared imports, so strict clients (grpcurl, Postman, a
 * descriptor pool) can describe every service. proto-loader's descriptors, used before, named the
 * files after their packages and declared no imports.
 */
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { FILE_DESCRIPTORS } from '../gen/descriptor-set';

const unused = () => {
  throw new Error('reflection entries carry descriptors only');
};

export function createReflection(): ReflectionService {
  // ReflectionService indexes the `fileDescriptorProtos` of every entry; one entry per file.
  const definition: PackageDefinition = Object.fromEntries(
    FILE_DESCRIPTORS.map(({ name, base64 }) => [
      name,
      { format: 'Protocol Buffer 3 DescriptorProto', type: {}, fileDescriptorProtos: [Buffer.from(base64, 'base64')], serialize: unused, deserialize: unused },
    ]),
  );
  return new ReflectionService(definition);
}

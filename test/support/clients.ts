/** grpc-js clients built from the generated code, presenting a given client certificate. */
import * as grpc from '@grpc/grpc-js';
import jwt from 'jsonwebtoken';
import { LoginService } from '../../src/gen/gsdk/login/login';
import { legacyAlias } from '../../src/grpc/legacy-alias';
import { ClientPair } from './pki';

export type AnyClient = grpc.Client & Record<string, unknown>;

export function credentialsFor(caPem: string, pair?: Pick<ClientPair, 'certPem' | 'keyPem'>): grpc.ChannelCredentials {
  return pair
    ? grpc.credentials.createSsl(Buffer.from(caPem), Buffer.from(pair.keyPem), Buffer.from(pair.certPem))
    : grpc.credentials.createSsl(Buffer.from(caPem));
}

const clients: grpc.Client[] = [];

/** Each client gets its own connection (no subchannel sharing), as separate processes would. */
export function makeClient<T extends grpc.ServiceDefinition>(
  definition: T,
  address: string,
  caPem: string,
  pair?: Pick<ClientPair, 'certPem' | 'keyPem'>,
): AnyClient {
  const Ctor = grpc.makeGenericClientConstructor(definition, 'svc');
  const client = new Ctor(address, credentialsFor(caPem, pair), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as AnyClient;
  clients.push(client);
  return client;
}

export const loginClient = (address: string, caPem: string, pair?: Pick<ClientPair, 'certPem' | 'keyPem'>) =>
  makeClient(LoginService, address, caPem, pair);

export const legacyLoginClient = (address: string, caPem: string, pair: Pick<ClientPair, 'certPem' | 'keyPem'>) =>
  makeClient(legacyAlias(LoginService), address, caPem, pair);

export function closeAllClients(): void {
  for (const c of clients.splice(0)) c.close();
}

export function metadataWith(token?: string): grpc.Metadata {
  const md = new grpc.Metadata();
  if (token !== undefined) md.set('token', token);
  return md;
}

/** Calls a unary method; resolves with the response or rejects with the ServiceError. */
export function unary<Res>(client: AnyClient, method: string, request: unknown, metadata = new grpc.Metadata()): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = client[method] as (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: Res) => void) => void;
    fn.call(client, request, metadata, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** The gRPC status code a call failed with (throws if it succeeded). */
export async function codeOf(promise: Promise<unknown>): Promise<{ code: grpc.status; details: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error('call succeeded but was expected to fail');
}

export function decodeJwt(token: string): { header: jwt.JwtHeader; payload: jwt.JwtPayload } {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') throw new Error('not a JWT');
  return { header: decoded.header, payload: decoded.payload };
}

/** Opens a server stream; resolves 'OK' once the server sent headers, or the status it failed with. */
export function streamOpens(client: AnyClient, method: string, request: unknown, metadata = new grpc.Metadata()): Promise<grpc.status> {
  return new Promise((resolve) => {
    const fn = client[method] as (req: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<unknown>;
    const stream = fn.call(client, request, metadata);
    stream.on('metadata', () => {
      resolve(grpc.status.OK);
      stream.cancel();
    });
    stream.on('error', (e: grpc.ServiceError) => resolve(e.code));
    stream.on('data', () => undefined);
  });
}

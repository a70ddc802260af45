/**
 * A small HTTPS client for the bridge tests. It trusts only the CA registered for a base URL
 * (`trust`), as an app given the gateway's ca.crt would; Node's fetch cannot be given a CA without
 * the undici package, so this speaks node:https (plain node:http for an http:// base).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const agents = new Map<string, HttpsAgent>();
const plainAgent = new HttpAgent({ keepAlive: true });

/** Registers the CA that HTTPS answers from `base` must chain to, and returns `base`. */
export function trust(base: string, caPem: string): string {
  agents.get(new URL(base).origin)?.destroy();
  agents.set(new URL(base).origin, new HttpsAgent({ ca: caPem, keepAlive: true }));
  return base;
}

/** The agent trusting `base`'s CA (for clients that take one, e.g. jose's createRemoteJWKSet). */
export function agentFor(base: string): HttpsAgent {
  const agent = agents.get(new URL(base).origin);
  if (!agent) throw new Error(`no CA registered for ${base}: call trust() first`);
  return agent;
}

type Answer = { status: number; headers: Headers; text: string };

/** One request; a kept-alive socket the server closed meanwhile is retried once on a fresh one, as Node's docs advise. */
function send(url: URL, options: { method: string; headers: Record<string, string>; agent: HttpAgent }, body: string | undefined, retried = false): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const h = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) h.append(name, v);
        }
        resolve({ status: res.statusCode ?? 0, headers: h, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && err.code === 'ECONNRESET' && !retried) resolve(send(url, options, body, true));
      else reject(err);
    });
    req.end(body);
  });
}

export async function http(base: string, method: string, path: string, options: { body?: unknown; raw?: string; type?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = options.type ?? 'application/json';
  const url = new URL(`${base}${path}`);
  const { status, headers: received, text } = await send(url, { method, headers, agent: url.protocol === 'https:' ? agentFor(base) : plainAgent }, body);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, headers: received, text, json };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

import { ServiceDefinition } from '@grpc/grpc-js';

/**
 * The same service under the package name G-SDK clients used before V1.5 (`gsdk.login` → `login`),
 * so `/login.Login/Login` reaches the same handlers as `/gsdk.login.Login/Login`.
 */
export function legacyAlias<T extends ServiceDefinition>(definition: T): T {
  const aliased: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    aliased[name] = { ...method, path: method.path.replace(/^\/gsdk\./, '/') };
  }
  return aliased as T;
}

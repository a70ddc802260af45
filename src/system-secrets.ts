/**
 * Where the system secrets come from (the same for `serve` and every CLI command that touches keys):
 * GATEWAY_SECRETS, else GATEWAY_SECRETS_FILE, else, for the embedded store only, certDir/system_secrets,
 * made (random, 0600) on the first start so `npm start` stays zero-configuration. The PostgreSQL
 * backend shares its keys between instances, so it must be told the secret. Then keys stored in
 * plaintext by older versions are encrypted, and every stored key is opened once, so a wrong or
 * missing secret stops the start here, with the fix named, instead of a new key being made.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from 'pino';
import { Config, ENV_NAMES } from './config';
import { createSecretBox, isSealed, SecretBox } from './core/secret-box';
import { checkSigningKeysOpen, resealSigningKeys } from './core/signing-keys';
import { GatewayError, SecretInvalid, SecretMissing } from './errors';
import { checkPrivatePaths } from './private-files';
import { Store } from './store/store';

export const SECRETS_FILE = 'system_secrets';
const GIVE = `${ENV_NAMES.secrets} or ${ENV_NAMES.secretsFile}`;

function readSecretsFile(file: string): string[] {
  checkPrivatePaths([[file, 'file']]);
  const secrets = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (secrets.length === 0) throw new SecretMissing(`${file} lists no secret (one a line, the first encrypts)`);
  return secrets;
}

async function resolveSecrets(config: Config, store: Store, log?: Logger): Promise<string[]> {
  if (config.secrets.length > 0) return config.secrets;
  if (config.secretsFile) {
    if (!existsSync(config.secretsFile)) throw new SecretMissing(`${ENV_NAMES.secretsFile}: ${config.secretsFile} does not exist`);
    return readSecretsFile(config.secretsFile);
  }
  if (config.databaseUrl) {
    throw new SecretMissing(
      `the PostgreSQL backend shares its keys between instances: give every instance the same system secret in ${GIVE} (e.g. the output of: openssl rand -base64 32)`,
    );
  }
  const file = join(config.certDir, SECRETS_FILE);
  if (existsSync(file)) return readSecretsFile(file);
  if ((await store.listSigningKeys()).some((k) => isSealed(k.privateKeyPem))) {
    throw new SecretMissing(`the stored keys are encrypted but ${file} is missing: restore it from your backup, or give the secret in ${GIVE}`);
  }
  mkdirSync(config.certDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    log?.warn({ file }, 'made a system secret that encrypts the stored keys: back it up with the database');
  } catch (err) {
    // Another process (a worker, the CLI) made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readSecretsFile(file);
}

/** The secret box for this configuration, after the stored keys were encrypted under it and found to open. */
export async function loadSecretBox(config: Config, store: Store, log?: Logger): Promise<SecretBox> {
  const box = createSecretBox(await resolveSecrets(config, store, log));
  try {
    const sealed = await resealSigningKeys(store, box, false);
    if (sealed > 0) log?.warn({ keys: sealed }, 'encrypted signing keys stored in plaintext by an older version; if the data directory was ever readable by others, rotate and retire them');
    await checkSigningKeysOpen(store, box);
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'ERR_SECRET_MISSING') {
      throw new SecretMissing(`cannot decrypt the stored signing keys (${err.message}): give the system secret they were encrypted with in ${GIVE}`, { cause: err });
    }
    if (err instanceof GatewayError && err.code === 'ERR_SECRET_INVALID') {
      throw new SecretInvalid(`a stored signing key does not decrypt (${err.message}): restore the database from a backup, or rotate and retire the key`, { cause: err });
    }
    throw err;
  }
  return box;
}

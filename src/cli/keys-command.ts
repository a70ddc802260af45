import { Command } from 'commander';
import { HMAC_ALGORITHM, TOKEN_ALGORITHM } from '../core/key-ring';
import { SecretBox } from '../core/secret-box';
import { KeyAdmin } from '../core/audited-admin';
import { Store } from '../store/store';
import { isoFromSeconds, printJson, printTable } from './output';
import { withCore } from './with-core';

const dataDir = ['--data-dir <dir>', 'data directory (default: GATEWAY_DATA_DIR or ./data)'] as const;
const picked = 'running gateways pick it up within a second';

/** `fn` with the store and the system secrets, resolved exactly as `serve` resolves them. */
const withKeys = <T>(dir: string | undefined, fn: (store: Store, box: SecretBox) => Promise<T>): Promise<T> =>
  withCore(dir, async (core) => fn(core.store, await core.secretBox()));

/** `fn` with the key operations (each change audited) and the system secrets. */
const withKeyAdmin = <T>(dir: string | undefined, fn: (keys: KeyAdmin, box: SecretBox) => Promise<T>): Promise<T> =>
  withCore(dir, async (core) => fn(await core.keys(), await core.secretBox()));

export function keysCommand(): Command {
  const keys = new Command('keys').description('token signing keys, HMAC secrets and their encryption at rest');
  keys
    .command('rotate')
    .description('add a new signing key; tokens signed with older keys stay valid until they expire or the key is retired')
    .option(...dataDir)
    .action((f: { dataDir?: string }) =>
      withKeyAdmin(f.dataDir, async (admin) => {
        const record = await admin.rotate();
        process.stdout.write(`new signing key ${record.kid} (${record.alg}); ${picked}\n`);
      }),
    );
  keys
    .command('retire <kid>')
    .description('delete a signing key that no longer signs: its tokens stop working at once and it leaves the JWKS')
    .option(...dataDir)
    .action((kid: string, f: { dataDir?: string }) =>
      withKeyAdmin(f.dataDir, async (admin) => {
        await admin.retire(kid);
        process.stdout.write(`retired signing key ${kid}; ${picked}\n`);
      }),
    );
  keys
    .command('rotate-hmac [name...]')
    .description('replace the HMAC secrets (all, or those named): mobile JWTs and challenge sessions made with the old ones stop working')
    .option(...dataDir)
    .action((names: string[], f: { dataDir?: string }) =>
      withKeyAdmin(f.dataDir, async (admin) => {
        const rotated = await admin.rotateHmac(names.length > 0 ? names : undefined);
        process.stdout.write(`new HMAC secrets: ${rotated.join(', ') || 'none stored yet'}; ${picked}\n`);
      }),
    );
  keys
    .command('reencrypt')
    .description('encrypt every stored key under the first system secret, so the others can then be removed')
    .option(...dataDir)
    .action((f: { dataDir?: string }) =>
      withKeyAdmin(f.dataDir, async (admin, box) => {
        const written = await admin.reencrypt();
        process.stdout.write(`re-encrypted ${written} key(s) under system secret ${box.primaryId}\n`);
      }),
    );
  keys
    .command('list')
    .option('--json', 'machine-readable output')
    .option(...dataDir)
    .description('list signing keys and HMAC secrets (public information only)')
    .action((f: { json?: boolean; dataDir?: string }) =>
      withKeys(f.dataDir, async (store, box) => {
        const all = await store.listSigningKeys();
        const signing = all.filter((k) => k.alg === TOKEN_ALGORITHM).pop()?.kid;
        const rows = all
          .filter((k) => k.alg === TOKEN_ALGORITHM || k.alg === HMAC_ALGORITHM)
          .map((k) => ({
            kid: k.kid,
            alg: k.alg,
            created: isoFromSeconds(k.createdAt),
            signing: k.kid === signing,
            encryptedWith: box.sealedWith(k.privateKeyPem) ?? null,
          }));
        if (f.json) printJson(rows);
        else printTable(rows.map((r) => ({ ...r, signing: r.signing ? 'yes' : 'no', encryptedWith: r.encryptedWith ?? 'none' })), ['kid', 'alg', 'created', 'signing', 'encryptedWith']);
      }),
    );
  return keys;
}

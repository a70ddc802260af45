import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyRing, openPrivatePart } from '../../../src/core/key-ring';
import { createSecretBox } from '../../../src/core/secret-box';
import { checkSigningKeysOpen, resealSigningKeys, rotateSigningKey } from '../../../src/core/signing-keys';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { Store } from '../../../src/store/store';

const clock = () => Date.UTC(2030, 0, 1);
const OLD = randomBytes(32).toString('base64url');
const NEW = randomBytes(32).toString('base64url');
let root: string;
let store: Store;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mgw-keys-'));
  store = openSqliteStore(join(root, 'gateway.db'), { pollMs: 0 });
});
afterEach(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

it('reencrypt moves every record to the first secret, leaving the keys themselves unchanged', async () => {
  const oldBox = createSecretBox([OLD]);
  const ring = await createKeyRing(store, clock, oldBox);
  await ring.ensureSecret('edr-mobile');
  await rotateSigningKey(store, oldBox, clock);
  const plain = (await store.listSigningKeys()).map((r) => openPrivatePart(r, oldBox));

  const rotated = createSecretBox([NEW, OLD]);
  expect(await resealSigningKeys(store, rotated, false)).toBe(0); // only plaintext is sealed at start
  expect(await resealSigningKeys(store, rotated, true)).toBe(3);
  const records = await store.listSigningKeys();
  expect(records.map((r) => rotated.sealedWith(r.privateKeyPem))).toEqual([rotated.primaryId, rotated.primaryId, rotated.primaryId]);
  const newOnly = createSecretBox([NEW]);
  expect(records.map((r) => openPrivatePart(r, newOnly))).toEqual(plain);
  await expect(checkSigningKeysOpen(store, oldBox)).rejects.toMatchObject({ code: 'ERR_SECRET_MISSING' });
  expect(await resealSigningKeys(store, rotated, true)).toBe(0);
});

it('plaintext records (from before encryption at rest) are sealed; a record that opens under no secret fails with nothing written', async () => {
  await store.addSigningKey({ kid: 'legacy', alg: 'HS256', privateKeyPem: randomBytes(32).toString('base64'), publicKeyPem: '', createdAt: 1 });
  const box = createSecretBox([OLD]);
  expect(await resealSigningKeys(store, box, false)).toBe(1);
  const sealed = (await store.listSigningKeys())[0];
  expect(box.sealedWith(sealed.privateKeyPem)).toBe(box.primaryId);

  await store.addSigningKey({ kid: 'plain', alg: 'HS256', privateKeyPem: randomBytes(32).toString('base64'), publicKeyPem: '', createdAt: 2 });
  await expect(resealSigningKeys(store, createSecretBox([NEW]), true)).rejects.toMatchObject({ code: 'ERR_SECRET_MISSING' });
  expect((await store.listSigningKeys()).find((r) => r.kid === 'plain')!.privateKeyPem).not.toMatch(/^enc:/);
});

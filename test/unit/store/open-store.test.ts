import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/store/open-store';
import { createSchemas, describePostgres, urlWithSchema } from './postgres-test-database';

const root = mkdtempSync(join(tmpdir(), 'mgw-open-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('openStore', () => {
  it('opens the embedded database in the data directory when no database URL is set', async () => {
    const store = await openStore({ dataDir: root, databaseUrl: '' }, { pollMs: 0 });
    try {
      expect(store.kind).toBe('sqlite');
      expect(await store.listTenants()).toEqual(['administrator']);
    } finally {
      await store.close();
    }
  });
});

describePostgres('openStore with a database URL', () => {
  const schemas = createSchemas();
  afterAll(() => schemas.end());

  it('opens PostgreSQL', async () => {
    const store = await openStore({ dataDir: root, databaseUrl: urlWithSchema(await schemas.fresh()) });
    try {
      expect(store.kind).toBe('postgres');
      expect(await store.listTenants()).toEqual(['administrator']);
    } finally {
      await store.close();
    }
  });
});

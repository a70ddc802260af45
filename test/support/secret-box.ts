/** A system secret made at test time, for cores and key rings built without the start-up path. */
import { randomBytes } from 'node:crypto';
import { createSecretBox } from '../../src/core/secret-box';

/**
 * The system secret of tests on the shared PostgreSQL test database: fixed, because keys sealed in
 * one run must open in the next (the database outlives the run).
 */
export const TEST_SYSTEM_SECRET = 'master-gateway-test-system-secret-0001';

export const testSecretBox = () => createSecretBox([randomBytes(32).toString('base64url')]);

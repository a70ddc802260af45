/** A system secret made at test time, for cores and key rings built without the start-up path. */
import { randomBytes } from 'node:crypto';
import { createSecretBox } from '../../src/core/secret-box';

export const testSecretBox = () => createSecretBox([randomBytes(32).toString('base64url')]);

import { createHash } from 'node:crypto';

/** SHA-256 of a token, hex: how refresh tokens are stored and how the core's memories know a token without keeping it. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

import { Dialect } from '../dialect';
import { cognito } from './cognito';
import { datarhei } from './datarhei';
import { edr } from './edr';
import { monogoto } from './monogoto';

/**
 * Every REST login dialect the bridge serves, each in its own folder with the same files: index.ts
 * (its fastify plugin: routes calling the core's identity use cases), schemas.ts (its route JSON
 * Schemas, which validate bodies and make the OpenAPI document), errors.ts (its one table from core
 * error code to its wire answer, its fallback and its 429) and answers.ts (its token claims and
 * answer shapes). The bridge registers each one's plugin under its prefix.
 */
export const DIALECTS: Dialect[] = [datarhei, cognito, monogoto, edr];

import { Dialect } from '../dialect';
import { cognito } from './cognito';
import { datarhei } from './datarhei';
import { edr } from './edr';
import { monogoto } from './monogoto';

/**
 * Every REST login dialect the bridge serves, each in its own folder with the same files: index.ts
 * (its routes, calling the core's identity use cases), errors.ts (its one table from core error code
 * to its wire answer, its fallback and its 429) and answers.ts (its token claims and answer shapes).
 * Cognito's body.ts reads its AWS JSON bodies until route schemas take that over.
 */
export const DIALECTS: Dialect[] = [datarhei, cognito, monogoto, edr];

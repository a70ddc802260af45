import { Dialect } from '../dialect';
import { cognito } from './cognito';
import { datarhei } from './datarhei';
import { edr } from './edr';
import { monogoto } from './monogoto';

/** Every REST login dialect the bridge serves, each in its own folder (index.ts registers its routes; the other files differ by dialect). */
export const DIALECTS: Dialect[] = [datarhei, cognito, monogoto, edr];

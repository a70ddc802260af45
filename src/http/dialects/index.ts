import { Dialect } from '../dialect';
import { cognito } from './cognito';
import { datarhei } from './datarhei';
import { edr } from './edr';
import { monogoto } from './monogoto';

/** Every REST login dialect the bridge serves; each lives in its own folder with the same shape. */
export const DIALECTS: Dialect[] = [datarhei, cognito, monogoto, edr];

import { Dialect } from '../dialect';
import { cognito } from './cognito';
import { datarhei } from './datarhei';
import { edr } from './edr';
import { monogoto } from './monogoto';

/** Every REST login dialect the bridge serves, each in its own folder; the bridge registers each one's plugin under its prefix. */
export const DIALECTS: Dialect[] = [datarhei, cognito, monogoto, edr];

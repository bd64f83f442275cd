// The whole simulated world in one import (what `relaycheck sim` starts). In: nothing. Out:
// the config parser, the start function and their types, the error family.
export {
  parseWorldConfig,
  SIM_WORLD_ERRORS,
  SimWorldError,
  DEFAULT_RANGES,
  type WorldConfig,
  type WorldConfigInput,
  type WorldKeys,
} from './config';
export { startWorld, type World, type WorldOptions, type WorldRelayConfig } from './world';

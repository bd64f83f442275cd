// Hostile file names for the FN cases and any suite that sends a declared name. In: nothing.
// Out: HOSTILE_NAMES — rows of { name, raw, rule, policy? }, every file-name attack of issue 10
// in several spellings, generated in code at load time — and the percent-encoders. The table
// lives beside the relay's own unit tests (relay/test/filedrop/lib/hostile-names.ts), because
// relay/ is deployable alone and never imports suites/: this module is its one door for suites.
export {
  HOSTILE_NAMES,
  percentEncode,
  percentEncodeAll,
  wtf8Bytes,
  type HostileName,
} from '../../../relay/test/filedrop/lib/hostile-names';

// The IP range API in one import, for the CLI (`relaycheck ranges`) and the egress policy.
// In: nothing. Out: the parsers, the selection, containment, aggregation, the loader and
// the error family, why an address is outside a selection, re-exported from their modules.
export * from './cidr';
export * from './errors';
export * from './source';
export { parseLegacyXml } from './legacy-xml';
export {
  formatJsonPath,
  parseServiceTagsJson,
  parseSource,
  type SourceOptions,
} from './service-tags';
export * from './ranges';
export * from './load';
export * from './explain';

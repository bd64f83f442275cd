// The simulator's network model in one import, for suites, the CLI and other parts. In:
// nothing. Out: startNetworkModel and its types, the config parser, the DNS model, the
// firewall evaluator and rule builder, the fault catalogue, the relay config shape, the
// event channel names, the error family and the test scheduler.
export {
  startNetworkModel,
  type NetworkModel,
  type NetworkModelOptions,
  type EndpointInfo,
  type ExistingConnections,
  type FirewallControl,
  type FaultControl,
} from './model';
export {
  parseNetworkConfig,
  isNetworkConfig,
  networkConfigSchema,
  type NetworkConfig,
  type NetworkConfigInput,
} from './config';
export {
  DnsModel,
  isHostName,
  normaliseName,
  type DnsAnswer,
  type DnsChange,
  type DnsLookup,
  type DnsRecord,
  type LookupCallback,
} from './dns';
export {
  VERDICTS,
  compileRuleset,
  evaluate,
  firewallRuleSchema,
  rulesFromServiceTags,
  rulesetSchema,
  rulesetToJson,
  type Decision,
  type FirewallRule,
  type FirewallRuleInput,
  type PrefixSource,
  type Ruleset,
  type RulesetInput,
  type ServiceTagRuleOptions,
  type Verdict,
} from './firewall';
export {
  GUIDE_PORTS,
  SERVED_PORTS,
  assertLoopback,
  isLoopbackLiteral,
  parsePorts,
  type PortRange,
} from './addresses';
export {
  FAULT_KINDS,
  Flow,
  HIGH_WATER,
  PacedQueue,
  faultSchema,
  faultToJson,
  parseFault,
  slicePoints,
  type Direction,
  type EndpointSelector,
  type Fault,
  type FaultInput,
  type FaultKind,
  type FlowHooks,
  type Stage,
  type StageContext,
} from './faults';
export { endpointKey, toxicityStream, type EndpointState } from './proxy';
export {
  RELAY_CONFIG_VERSION,
  dialTarget,
  relayConfigSchema,
  type RelayConfig,
  type RelayEndpoint,
} from './relay-config';
export {
  ALL_NET_CHANNELS,
  NET_CHANNELS,
  NetEvents,
  type NetChannel,
  type NetEvent,
  type NetEventData,
} from './events';
export { SIM_NET_ERRORS, SimNetError, isSimNetError, type SimNetCode } from './errors';
export { createPrng, deriveSeed, hashLabel, type Prng } from './prng';
export { systemScheduler, type Scheduler, type TimerHandle } from './scheduler';
export { ManualScheduler } from './testing';
export { handleNetworkControl, startNetworkControl } from './control';

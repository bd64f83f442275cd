// The relay's egress layer and connectivity auto-detect in one import. In: nothing. Out:
// settings parsing, the egress policy and dialer, the network map, resolvers, probes, the
// mode table, the auto-detect, the Service Bus and Hybrid Connections client builders, the
// event channels and the `relay-egress` error family, re-exported from their modules.
export {
  connectivitySettings,
  DEFAULT_EGRESS_PORTS,
  DEFAULT_RECONNECT_DELAYS_MS,
  GUIDE_PORTS,
  PLAIN_AMQP_PORT,
  type ConnectivityConfigInput,
  type ConnectivityMode,
  type ConnectivitySettings,
  type Profile,
  type TlsMinVersion,
} from './config';
export {
  EgressError,
  RELAY_EGRESS_ERRORS,
  POLICY_CODES,
  isEgressError,
  type EgressErrorCode,
} from './errors';
export {
  CONNECTIVITY_CHANNELS,
  type ConnectivityChannel,
  type ConnectivityEventData,
} from './events';
export {
  NETWORK_MAP_MAX_BYTES,
  NETWORK_MAP_VERSION,
  mapAddresses,
  mapEndpoint,
  networkMapFile,
  normaliseHostName,
  parseNetworkMap,
  staticNetworkMap,
  type NetworkMap,
  type NetworkMapEndpoint,
  type NetworkMapFs,
  type NetworkMapSource,
} from './network-map';
export {
  networkMapResolver,
  resolveAll,
  systemResolver,
  type LookupAll,
  type Resolver,
} from './resolver';
export {
  checkAddresses,
  checkPort,
  planDial,
  type DialPlan,
  type DialRequest,
  type EgressPolicy,
} from './policy';
export { nodeSockets, type SocketConnector, type TcpTarget } from './sockets';
export { loadCaFile, parseCaBundle, tlsClientOptions, type TlsTrust } from './tls-trust';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  classifySocketError,
  createEgress,
  type Connected,
  type ConnectRequest,
  type CreateConnection,
  type Egress,
  type EgressDeps,
} from './egress';
export {
  HC_EXTRA_PORTS,
  diagnosisOf,
  egressProber,
  outcomeOf,
  probeResult,
  probeTargets,
  type Diagnosis,
  type PathKind,
  type ProbeOptions,
  type ProbeOutcome,
  type ProbeResult,
  type ProbeTarget,
  type ProbeTargetKind,
  type Prober,
} from './probe';
export { chooseMode, type Mode, type ModeChoice } from './modes';
export {
  Connectivity,
  DEFAULT_MAX_PARALLEL_PROBES,
  createConnectivity,
  type ConnectivityDeps,
  type ConnectivityEvents,
  type ConnectivitySnapshot,
  type ModeChange,
} from './connectivity';
export {
  egressWebSocket,
  serviceBusClientFor,
  watchServiceBusConnection,
  type EgressWebSocketClass,
  type ServiceBusClientChoice,
} from './servicebus';
export {
  hybridDial,
  hybridEndpointFor,
  hybridSockets,
  hybridTlsOptions,
  type HybridDial,
} from './hybrid';

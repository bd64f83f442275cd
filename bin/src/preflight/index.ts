// `relaycheck preflight` in one import, for the command and the tests. In: nothing. Out: the
// input edge, the run, the verdict, the renderers, the dialers, the plan and the error family,
// re-exported from their modules.
export {
  PREFLIGHT_ERRORS,
  PreflightError,
  isPreflightError,
  type PreflightErrorCode,
} from './errors';
export {
  checkHost,
  parsePortList,
  planTargets,
  GUIDE_PORT_LIST,
  type PortRole,
  type PortTarget,
} from './plan';
export {
  directDialer,
  isLoopbackAddress,
  mapDialer,
  type DialDecision,
  type Dialer,
  type LogicalTarget,
} from './dialer';
export { observePort, parseHttpHead, type PortObservation } from './probe';
export { describeCertificate, describeChain, type CertInfo } from './certs';
export { assess, type AssessInput, type RangeCheck, type RangeVerdict } from './assess';
export { rangesFromPrefixes, rangesFromSource, type SourceSelection } from './ranges';
export {
  DEFAULT_TIMEOUT_MS,
  EXPIRY_WARN_DAYS,
  runPreflight,
  type PreflightDeps,
  type PreflightInput,
} from './run';
export {
  readMapFile,
  resolveInputs,
  type OutputFormat,
  type PreflightFlags,
  type ResolvedInputs,
} from './inputs';
export { renderJson, renderTable } from './render';
export * from './report';

// The report writers' public face. In: a finished run (see buildReport; with its antivirus facts
// for the security section), a benchmark run's bench section (see buildBenchReport), or a fault
// reproduction's scenario run (see buildScenarioReport). Out: the
// versioned report document, its renderings (JUnit XML, Markdown, HTML) and the files of a run
// folder.
export { REPORT_ERRORS, ReportError, type ReportErrorCode } from './errors';
export { redact, REDACTED } from './redact';
export {
  EVIDENCE_LIMITS,
  REPORT_OUTCOMES,
  REPORT_RELAYS,
  REPORT_TARGETS,
  REPORT_SCHEMA,
  REPORT_VERSION,
  countOutcomes,
  parseReport,
  reportFromJson,
  reportToJson,
  type OutcomeCounts,
  type Report,
  type ReportArea,
  type ReportAssertion,
  type ReportCase,
  type ReportEnvironment,
  type ReportEvent,
  type ReportEvidence,
  type ReportFieldValue,
  type ReportMetric,
  type ReportOutcome,
  type ReportProfile,
  type ReportRelay,
  type ReportRun,
  type ReportSelection,
  type ReportTarget,
  type ReportVerdict,
} from './schema';
export { clipText, evidenceOf } from './evidence';
export {
  AREA_TITLES,
  buildBenchReport,
  buildReport,
  buildScenarioReport,
  verdictOf,
  type BenchReportMeta,
  type BuildReportInput,
  type ReportCaseInput,
  type ScenarioReportMeta,
} from './build';
export {
  SCENARIO_LANES,
  SCENARIO_LIMITS,
  SCENARIO_MARKS,
  SCENARIO_VARIANTS,
  buildScenarioSection,
  rerunCommand,
  scenarioSectionSchema,
  thinTimeline,
  type ScenarioDeliveries,
  type ScenarioEntry,
  type ScenarioFacts,
  type ScenarioInput,
  type ScenarioInputEntry,
  type ScenarioLane,
  type ScenarioMark,
  type ScenarioSection,
  type ScenarioTallies,
  type ScenarioVariant,
  type ScenarioVerdict,
} from './scenario';
export {
  BENCH_BACKENDS,
  BENCH_BASELINES,
  BENCH_LIMITS,
  benchSectionSchema,
  type BenchBackend,
  type BenchBaseline,
  type BenchBaselineName,
  type BenchCeiling,
  type BenchLimits,
  type BenchProfile,
  type BenchRelayResources,
  type BenchSection,
  type BenchStep,
  type BenchTarget,
  type BenchWorkload,
  type BenchZeroLoss,
} from './bench';
export {
  DEFAULT_SCANNER_MODE,
  SCANNER_MODES,
  SECURITY_AREAS,
  SECURITY_CASE_IDS,
  SECURITY_LIMITS,
  SECURITY_VERDICTS,
  buildSecuritySection,
  isSecurityCase,
  securitySectionSchema,
  securityTally,
  type AntivirusFacts,
  type ScannerMode,
  type SecurityAntivirus,
  type SecurityGroup,
  type SecurityInput,
  type SecurityRow,
  type SecuritySection,
} from './security';
export { CLAMD_PATHS, clamdFacts } from './clamd';
export { collectEnvironment, relaycheckVersion } from './environment';
export { renderJunit } from './junit';
export { renderSummary } from './summary';
export { renderHtml } from './html/render';
export {
  REPORT_FILES,
  latestLinkFor,
  readReport,
  reportWriteChannel,
  writeFileAtomic,
  writeReport,
  type ReportPaths,
  type ReportWriteEvent,
} from './write';

// The mock back office's public entry. In: nothing. Out: startBackOffice and its types, the
// config parser, the error family, the diagnostics channel names, the pure parts suites use
// directly (reference schemes, data set generation, fault decisions, XML checking, form
// types) and ManualTime for tests that drive time by hand.
export {
  startBackOffice,
  type BackOffice,
  type BackOfficeOptions,
  type ServiceInfo,
  type ServerTls,
} from './backoffice';
export {
  parseBackOfficeConfig,
  enabledServices,
  serviceUsesTls,
  SERVICE_NAMES,
  INTAKE_SERVICES,
  DEFAULT_INTAKE_ROOTS,
  SECRET_HEADERS,
  DEFAULT_JOURNAL_HEADERS,
  type BackOfficeConfig,
  type BackOfficeConfigInput,
  type ServiceName,
  type IntakeServiceName,
} from './config';
export { SIM_BO_ERRORS, SimBackOfficeError, type SimBackOfficeCode } from './errors';
export { BO_CHANNELS } from './events';
export {
  decide,
  sampleDelay,
  parseFaultRule,
  FaultController,
  MAX_FAULT_MS,
  type FaultRule,
  type FaultRuleInput,
  type FaultAction,
  type FaultState,
  type FaultRequest,
  type Verdict,
  type RuleView,
} from './faults';
export {
  Journal,
  matchesFilter,
  type JournalEntry,
  type JournalFilter,
  type JournalStats,
  type Outcome,
  type FileFacts,
} from './journal';
export {
  FileShares,
  fileNameProblem,
  type WrittenFile,
  type ScannedFile,
  type FormTypeFolder,
} from './fileshare';
export {
  DEFAULT_FORM_TYPES,
  FORM_TYPES_BY_DEPARTMENT,
  defaultFormTypeFolders,
  formTypeFolders,
} from './form-types';
export {
  generateDataSets,
  COUNCIL,
  type DataSets,
  type DataSet,
  type CouncilTaxAccount,
  type BusinessRatesAccount,
  type BenefitsClaim,
} from './datasets';
export {
  COUNCIL_TAX_REFERENCE,
  BUSINESS_RATES_REFERENCE,
  BENEFITS_CLAIM_REFERENCE,
  type ReferenceScheme,
} from './references';
export { councilTaxXml, businessRatesXml, benefitsXml } from './retrieval';
export { renderDocument, DOCUMENT_KINDS, type DocumentRequest } from './documents';
export { checkXml, XmlChecker, INTAKE_ROUTES, type Submission, type IntakeStore } from './intake';
export { escapeText, escapeAttr, errorXml } from './xml';
export { Rng, mulberry32, seedState } from './prng';
export { realTimers, type Timers } from './timers';
export { ManualTime, rawRequest, type ClientResult, type ClientOptions } from './testing';

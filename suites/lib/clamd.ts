// A private, offline clamd for the suites. In: options (clamd's StreamMaxLength). Out: a running
// clamd with a signature database generated at run time for EICAR (hash and body signatures), its
// socket, PID, version and signature names, stop(); a fake clamd for failure cases; the skip reason
// when clamd is not installed (see relay/test/antivirus/lib/clamd.ts, where they are built:
// relay/test may not import suites/).
export {
  SIGNATURE_NAMES,
  clamdPath,
  clamdSkipReason,
  signatureDatabase,
  startClamd,
  startFakeClamd,
  type ClamdHandle,
  type ClamdOptions,
  type FakeBehaviour,
  type FakeClamd,
} from '../../relay/test/antivirus/lib/clamd';

/**
 * The scanner policy of the relay the AV cases put under test (AV-006 also runs a fail-open one):
 * what a conformance run's report states as the relay's scanner mode.
 */
export const AV_CASES_SCANNER_MODE = 'fail-closed';

// The typed refusals of the benchmarks. In: a code of the `bench` family, a message and safe
// details (a fixture path, a field, a backend). Out: a BenchError. `relaycheck bench` exits 2 on
// BENCH_E_FIXTURE (a usage error: nothing ran) and 3 on the others (the environment could not
// run the benchmark), printing the code and message.
import { defineErrors, familyError } from '../../relay/src/protocol/errors';

export const BENCH_ERRORS = defineErrors('bench', {
  BENCH_E_FIXTURE: {
    summary:
      'A hardware profile or workload is unknown (the message lists the known ones) or its file is malformed (details.path names the file and field); nothing ran.',
  },
  BENCH_E_RELAY: {
    summary:
      'The relay (or the baseline listener) under test did not become healthy in time, or exited during the benchmark; the figures measured so far are not reported as a result.',
  },
  BENCH_E_ENGINE: {
    summary:
      'The container backend was asked for but no Docker engine could be found or started (the message says why and what to install).',
  },
});

export class BenchError extends familyError(BENCH_ERRORS) {}

// The typed refusals of the conformance run's set-up. In: a code of the `run` family, a message
// and safe details (a path, an errno, the tail of tap's log). Out: a RunError. `relaycheck run`
// exits 3 on any of them (the environment could not be set up), printing the code and message,
// except RUN_E_TARGET_CONFIG: a bad command line or tenant config, exit 2.
import { defineErrors, familyError } from '../../relay/src/protocol/errors';

export const RUN_ERRORS = defineErrors('run', {
  RUN_E_OUT_DIR: {
    summary:
      'The output folder of the run cannot be created or written (details.path and details.errno say which and why); nothing ran.',
  },
  RUN_E_TOOLING: {
    summary:
      'A tool the run needs is missing: the tap runner in node_modules (run `npm ci`) or the suites folder (details.path); nothing ran.',
  },
  RUN_E_LOOPBACK: {
    summary:
      'No listener could be opened on 127.0.0.1 (details.errno): every simulated endpoint lives on loopback, so nothing can run here.',
  },
  RUN_E_WORLD: {
    summary:
      'The simulated world of an external-relay run could not start (details.path is its folder); nothing ran.',
  },
  RUN_E_RELAY_ABSENT: {
    summary:
      'With --relay external, no relay connected to the simulator in time (no live handshake session, or no listener on a Hybrid Connection path); details.path is the config it was to use.',
  },
  RUN_E_TARGET_CONFIG: {
    summary:
      'With --target azure, a connection string or the tenant config is malformed or missing (details.path names the option or the file); a usage error: exit 2, nothing ran.',
  },
  RUN_E_TARGET: {
    summary:
      'With --target azure, the namespaces could not be used: unreachable, the key refused, an entity or Hybrid Connection missing (details.which names the namespace); nothing ran.',
  },
  RUN_E_NOTHING_RAN: {
    summary:
      'The test runner ended without any selected case reporting: the test processes could not start (details.tail holds the end of tap.log).',
  },
});

export type RunErrorCode = (typeof RUN_ERRORS.codes)[number];

export class RunError extends familyError(RUN_ERRORS) {}

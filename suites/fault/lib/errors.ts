// The typed refusals of fault reproduction (`relaycheck reproduce`, fixtures/scenarios). In: a
// code of the `scenario` family, a message and safe details (a file, a field path, a name). Out:
// a ScenarioError. `relaycheck reproduce` exits 2 on SCENARIO_E_FILE and SCENARIO_E_UNKNOWN (a
// usage error: nothing ran) and 3 on SCENARIO_E_SETUP (this machine cannot run the scenario).
import { defineErrors, familyError } from '../../../relay/src/protocol/errors';

export const SCENARIO_ERRORS = defineErrors('scenario', {
  SCENARIO_E_FILE: {
    summary:
      'A scenario file (fixtures/scenarios/*.yaml) cannot be read or is invalid: not YAML, an unknown field, a bad duration, an unknown action, workload or assertion (details.path names the file and field); nothing ran.',
  },
  SCENARIO_E_UNKNOWN: {
    summary:
      'No scenario of that name or case id (`relaycheck reproduce --list` shows them), or an unknown defect name; nothing ran.',
  },
  SCENARIO_E_SETUP: {
    summary:
      'The scenario cannot run on this machine (e.g. a full or read-only file share needs root to mount a small file system); the message says what is missing.',
  },
});

export class ScenarioError extends familyError(SCENARIO_ERRORS) {}

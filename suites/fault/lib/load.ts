// The scenario files of fixtures/scenarios/. In: a scenario's name (file name without .yaml) or
// its catalogue id (FAULT-NNN), or nothing for the list. Out: the validated Scenario, the list of
// every scenario (sorted by case id), or SCENARIO_E_UNKNOWN listing the known names;
// SCENARIO_E_FILE for a file that is not YAML, is invalid or whose name is not its own. IO edge:
// reads the folder and the file.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ScenarioError } from './errors';
import { FAULT_ID, parseScenario, type Scenario } from './schema';

/** fixtures/scenarios, from the sources or from dist/. */
export const SCENARIO_DIR = ((): string => {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'fixtures', 'scenarios');
    try {
      readdirSync(candidate);
      return candidate;
    } catch {
      dir = join(dir, '..');
    }
  }
  return join(__dirname, '..', '..', '..', 'fixtures', 'scenarios');
})();

/** Reads and validates one scenario file (any path). */
export function readScenarioFile(path: string): Scenario {
  const file = `fixtures/scenarios/${basename(path)}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScenarioError('SCENARIO_E_FILE', `${file} cannot be read: ${(e as Error).message}`, {
      path: file,
    });
  }
  let input: unknown;
  try {
    input = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (e) {
    throw new ScenarioError(
      'SCENARIO_E_FILE',
      `${file} is not YAML: ${(e as Error).message.split('\n')[0] ?? ''}`,
      { path: file },
    );
  }
  const scenario = parseScenario(input, file);
  const own = basename(path).replace(/\.ya?ml$/, '');
  if (scenario.name !== own) {
    throw new ScenarioError(
      'SCENARIO_E_FILE',
      `${file}.name: ${scenario.name} is not the file's own name (${own})`,
      { path: `${file}.name` },
    );
  }
  return scenario;
}

/** Every scenario of `dir`, sorted by case id; two files of one case id are refused. */
export function listScenarios(dir: string = SCENARIO_DIR): Scenario[] {
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  const all = files.map((f) => readScenarioFile(join(dir, f)));
  const byCase = new Map<string, string>();
  for (const s of all) {
    const other = byCase.get(s.case);
    if (other !== undefined) {
      throw new ScenarioError(
        'SCENARIO_E_FILE',
        `fixtures/scenarios/${s.name}.yaml.case: ${s.case} is also the case of ${other}`,
        { path: `fixtures/scenarios/${s.name}.yaml.case` },
      );
    }
    byCase.set(s.case, s.name);
  }
  return all.sort((a, b) => a.case.localeCompare(b.case));
}

/** The scenario named `nameOrId` (its file name or its FAULT-NNN id). */
export function loadScenario(nameOrId: string, dir: string = SCENARIO_DIR): Scenario {
  const all = listScenarios(dir);
  const found = FAULT_ID.test(nameOrId)
    ? all.find((s) => s.case === nameOrId)
    : all.find((s) => s.name === nameOrId.replace(/\.ya?ml$/, ''));
  if (found === undefined) {
    throw new ScenarioError(
      'SCENARIO_E_UNKNOWN',
      `no scenario "${nameOrId}" (known: ${all.map((s) => `${s.name} (${s.case})`).join(', ') || 'none'})`,
      { name: nameOrId },
    );
  }
  return found;
}

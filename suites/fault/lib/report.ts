// Writes a scenario run's report folder. In: a ScenarioRun and the folder. Out: the folder's
// path once scenario.json (the run record) and timeline.txt (the timeline as printed live) are
// written whole (temporary name, then rename). IO edge.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioRun } from './run';
import { formatEntry } from './timeline';

function writeWhole(path: string, text: string): void {
  const tmp = `${path}.tmp-${String(process.pid)}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function writeScenarioReport(run: ScenarioRun, out: string): Promise<string> {
  mkdirSync(out, { recursive: true });
  writeWhole(join(out, 'scenario.json'), JSON.stringify(run, null, 2) + '\n');
  writeWhole(join(out, 'timeline.txt'), run.timeline.map(formatEntry).join('\n') + '\n');
  return Promise.resolve(out);
}

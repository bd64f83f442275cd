// `relaycheck cases`: the conformance catalogue. In: an optional area filter. Out: a table
// (id, area, level, title) or JSON with requirement and source.
import type { Command } from 'commander';
import { AREAS, CATALOGUE, type Area } from '../../../suites/catalogue';
import type { ExitBox, Io } from '../main';
import { listOf } from '../parse';
import { table } from '../table';

export function registerCases(program: Command, io: Io, _exit: ExitBox): void {
  program
    .command('cases')
    .description('list the conformance catalogue (id, area, level, title)')
    .option('--area <areas>', `only these areas (${AREAS.join(', ')})`, listOf(AREAS, 'area'))
    .option('--json', 'print the cases as JSON, with requirement and source')
    .addHelpText('after', '\nExample:\n  $ relaycheck cases --area hs,env\n')
    .action((opts: { area?: Area[]; json?: boolean }) => {
      const cases = CATALOGUE.filter((c) => opts.area === undefined || opts.area.includes(c.area));
      if (opts.json === true) {
        io.out(JSON.stringify(cases, null, 2) + '\n');
        return;
      }
      io.out(
        table(
          ['id', 'area', 'level', 'title'],
          cases.map((c) => [c.id, c.area, c.level, c.title]),
        ),
      );
      io.out(`${cases.length} cases\n`);
    });
}

// summary.md's security part and junit.xml beside it. In: the run of ./lib/security-fixture.ts
// with antivirus facts. Out: checks summary.md has a "Security" part after the case lists with
// the tally, a line per group, the antivirus facts (clamd and its version, the mode, why the AV
// cases were skipped) and one table row per attack (group, case, attack, verdict, evidence) that
// hostile text cannot break; and that junit.xml is the same with or without the section.
import t from 'tap';
import {
  buildReport,
  parseReport,
  renderJunit,
  renderSummary,
  reportToJson,
  type Report,
} from '../src';
import { secrets } from './lib/fixture';
import { cells } from './lib/markdown';
import { NO_CLAMD, securityRun } from './lib/security-fixture';

function built(): Report {
  return buildReport(
    securityRun(secrets().token, {
      antivirus: { clamdAvailable: true, clamdVersion: 'ClamAV 1.4.6' },
    }),
  );
}

/** The lines of summary.md's security part (to the next part). */
function securityPart(md: string): string[] {
  const start = md.indexOf('## Security\n');
  const end = md.indexOf('\n## ', start + 1);
  return md.slice(start, end).split('\n');
}

void t.test('summary.md lists every attack with its verdict and evidence', (t) => {
  const report = built();
  const md = renderSummary(report);
  t.ok(md.indexOf('## Skipped') < md.indexOf('## Security'), 'after the case lists');
  t.ok(md.indexOf('## Security') < md.indexOf('## Run'), 'before the run');
  const lines = securityPart(md);
  t.match(lines[2], /^13 attacks: 8 refused, 1 failed, 1 non-strict, 3 skipped\. /, 'the tally');

  const groupRows = lines.filter((l) => /^\| [^|]+ \| \d+ attacks?: /.test(l));
  t.same(
    groupRows.map(cells),
    [
      ['Hostile XML', '2 attacks: 1 refused, 1 failed, 0 skipped'],
      ['Hostile PDFs', '1 attack: 1 refused, 0 failed, 0 skipped'],
      ['Hostile file names', '1 attack: 0 refused, 0 failed, 1 skipped'],
      ['TLS policy', '1 attack: 1 refused, 0 failed, 0 skipped'],
      ['Antivirus (ClamAV)', '2 attacks: 0 refused, 0 failed, 2 skipped'],
      ['Tokens, replay, secrets and exposure', '2 attacks: 2 refused, 0 failed, 0 skipped'],
      ['Handshake', '1 attack: 1 refused, 0 failed, 0 skipped'],
      ['Message envelope', '1 attack: 1 refused, 0 failed, 0 skipped'],
      ['Shared access signatures', '1 attack: 0 refused, 0 failed, 1 non-strict, 0 skipped'],
      ['Outbound ports', '1 attack: 1 refused, 0 failed, 0 skipped'],
    ],
    'a line per group with its tally',
  );

  const fact = (name: string): string[] | undefined =>
    lines.map(cells).find((c) => c.length === 2 && c[0] === name);
  t.same(fact('clamd'), ['clamd', 'available (ClamAV 1.4.6)']);
  t.match(fact('scanner mode')?.[1], /^fail-closed: .* \(the relay's default; the run did not/);
  t.same(fact('AV cases skipped because'), ['AV cases skipped because', NO_CLAMD]);

  const attackRows = lines
    .map(cells)
    .filter((c) => c.length === 5 && /^[A-Z]+-\d{3}$/.test(c[1] ?? ''));
  t.same(
    attackRows.map((c) => c[1]),
    report.security?.rows.map((r) => r.id),
    'one row per attack, in order, each of five cells (hostile text broke none)',
  );
  const rowOf = (id: string): string[] => attackRows.find((c) => c[1] === id) ?? [];
  t.same(rowOf('XML-001').slice(0, 4), [
    'Hostile XML',
    'XML-001',
    'an external entity to a local file is refused',
    'refused',
  ]);
  t.match(
    rowOf('XML-001')[4],
    'relay:content: outcome=refused kind=xml rule=doctype<br>relay:work: outcome=dead-lettered route=licensing code=RELAY\\_E\\_CONTENT\\_XML',
    'the telling lines, one a line',
  );
  t.equal(rowOf('XML-002')[3], '**failed**', 'a failure stands out');
  t.match(rowOf('XML-002')[4], /expected: 0 hits<br>observed: 1 hit \(GET \/canary\)/);
  t.equal(rowOf('SAS-004')[3], '**non-strict**');
  t.match(rowOf('AV-001'), ['Antivirus (ClamAV)', 'AV-001', /.+/, 'skipped', /^why: needs clamd/]);
  t.equal(rowOf('HS-002')[4], '—', 'nothing recorded: a dash');
  t.match(rowOf('ENV-004')[4], /\(×300\)$/);
  const hostile = rowOf('SEC-002');
  t.notOk(hostile.join('').includes('<script>'), 'no raw markup from a title or a line');
  t.match(
    hostile[2],
    '&lt;script&gt;alert("x")&lt;/script&gt; \\| a cell \\| \\`code\\` \\*bold\\*',
  );
  t.notOk(lines.join('\n').includes(secrets().token), 'no token');
  t.match(lines.join('\n'), /reason=token SharedAccessSignature \\\[redacted\\\]/, 'redacted');
  t.end();
});

void t.test('junit.xml is the same with or without the security section', (t) => {
  const report = built();
  t.ok(report.security !== undefined);
  const json = JSON.parse(reportToJson(report)) as Record<string, unknown>;
  delete json.security;
  const without = parseReport(json);
  t.equal(renderJunit(report), renderJunit(without), 'unaffected');
  t.notOk(/security|attack/i.test(renderJunit(report).replace(/Tokens, replay, secrets/g, '')));
  t.end();
});

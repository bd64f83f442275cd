// renderSummary. In: reports built from fixed runs, some with reasons and expected/observed
// values full of pipes, line breaks and markup. Out: checks the headline comes first, the area
// table counts, the sections list their cases with reasons and a clipped line per failed
// assertion, and that no text can add a column or a row to a table.
import t from 'tap';
import { buildReport, renderSummary } from '../src';
import { fail, input, mixedRun, pass, skip } from './lib/fixture';
import { cells } from './lib/markdown';

/** Every table of `md`, as arrays of rows of cells. */
function tables(md: string): string[][][] {
  const out: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      if (current === undefined) out.push((current = []));
      current.push(cells(line));
    } else current = undefined;
  }
  return out;
}

void t.test('the summary opens with the verdict headline', (t) => {
  const md = renderSummary(buildReport(mixedRun()));
  t.equal(md.split('\n')[0], '# Not ready: 2 must cases failed: PORT-003, DLV-005');
  const ready = renderSummary(buildReport(input([pass('HS-001'), pass('HS-002')])));
  t.equal(ready.split('\n')[0], '# Ready for go-live: all 2 must cases pass');
  t.end();
});

void t.test('the area table has one row per area and a total row', (t) => {
  const md = renderSummary(buildReport(mixedRun()));
  const [areas] = tables(md);
  t.same(areas?.[0], ['area', 'pass', 'non-strict', 'fail', 'skip', 'info', 'total']);
  t.same(areas?.slice(2), [
    ['HS Handshake', '2', '0', '0', '0', '0', '2'],
    ['IP Azure address ranges', '0', '0', '0', '1', '0', '1'],
    ['SB Service Bus namespace', '0', '1', '0', '1', '0', '2'],
    ['PORT Outbound ports', '1', '0', '1', '0', '0', '2'],
    ['DLV Delivery', '0', '0', '1', '0', '0', '1'],
    ['**all**', '**3**', '**1**', '**2**', '**2**', '**0**', '**8**'],
  ]);
  t.end();
});

void t.test('failed, non-strict and skipped cases are listed with their reasons', (t) => {
  const md = renderSummary(buildReport(mixedRun()));
  const section = (title: string): string => {
    const start = md.indexOf(`\n## ${title}`);
    const end = md.indexOf('\n## ', start + 1);
    return start < 0 ? '' : md.slice(start, end);
  };
  t.match(
    section('Failed (2)'),
    /\| PORT-003 \| must \| case PORT-003 \| relay never fell back to 443 \|/,
  );
  t.match(section('Failed (2)'), /\| DLV-005 \| must \| case DLV-005 \| message executed twice \|/);
  t.match(
    section('Non-strict (1)'),
    /\| SB-010 \| should \| case SB-010 \| drain left a credit \|/,
  );
  t.match(
    section('Skipped (2)'),
    /\| IP-004 \| must \| case IP-004 \| needs root for network namespaces \|/,
  );
  t.equal(section('Information'), '', 'no empty section');
  t.match(section('Environment'), /\| node \| v20\.19\.0 \|/);
  t.match(section('Environment'), /\| cpus \| 2 x Test CPU \|/);
  t.end();
});

void t.test('pipes, line breaks and markup in a reason cannot break a table', (t) => {
  const nasty = 'a | b\nc\r\nd | <script>x</script> `code|` \\| e\u0007';
  const md = renderSummary(
    buildReport(
      input(
        [fail('HS-001', 'must', nasty), skip('HS-002', nasty), fail('HS-003', 'should', nasty)],
        {
          command: `relaycheck run --case '${nasty}'`,
        },
      ),
    ),
  );
  for (const table of tables(md)) {
    const width = table[0]?.length;
    t.ok(
      table.every((row) => row.length === width),
      `every row of the table headed ${JSON.stringify(table[0])} has ${width} cells`,
    );
  }
  t.notOk(md.includes('<script>'), 'HTML is escaped');
  t.notOk(md.includes('\u0007'), 'controls are written out');
  const failed = tables(md)[1];
  t.equal(failed?.length, 3, 'the failed table has its header, rule and one row');
  t.equal(
    failed?.[2]?.[3],
    'a \\| b<br>c<br>d \\| &lt;script&gt;x&lt;/script&gt; \\`code\\|\\` \\\\\\| e\\\\u0007',
  );
  t.end();
});

void t.test('each failed assertion gets a line with its expected and observed, clipped', (t) => {
  const nasty = 'a | b\nc `x` <y>';
  const long = 'z'.repeat(1500);
  const failed = Array.from({ length: 12 }, (_, i) => ({
    name: `assertion ${i}`,
    ok: false,
    expected: i === 0 ? nasty : long,
    observed: `${i} found`,
  }));
  const md = renderSummary(
    buildReport(
      input([
        { ...fail('PORT-003', 'must', 'relay never fell back'), assertions: failed },
        {
          ...fail('SB-010', 'should', 'drain left a credit'),
          assertions: [{ name: 'credit is 0', ok: false, diag: 'credit 3 left' }],
        },
        { ...pass('HS-001'), assertions: [{ name: 'never listed', ok: true }] },
      ]),
    ),
  );
  const lines = md.split('\n').filter((l) => l.startsWith('- **'));
  t.equal(lines.length, 10 + 1 + 1, 'ten lines, a count of the rest, and the should case');
  t.equal(
    lines[0],
    '- **PORT-003** assertion 0: expected: a \\| b<br>c \\`x\\` &lt;y&gt;; observed: 0 found',
  );
  t.ok(
    lines.slice(1, 10).every((l) => l.length < 300 && l.includes('z'.repeat(200) + '...')),
    'a long value is clipped to 200 characters',
  );
  t.equal(lines[10], '- **PORT-003** and 2 more failed assertions (index.html has them)');
  t.equal(lines[11], '- **SB-010** credit is 0: credit 3 left', 'the diag when nothing else');
  t.notMatch(md, 'never listed', 'a passing assertion is not listed');
  for (const table of tables(md)) {
    const width = table[0]?.length;
    t.ok(
      table.every((row) => row.length === width),
      `the table ${JSON.stringify(table[0])}`,
    );
  }
  t.equal(tables(md)[1]?.length, 3, 'the failed table still has its header, rule and one row');
  t.end();
});

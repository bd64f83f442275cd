// index.html's security part. In: the run of ./lib/security-fixture.ts with antivirus facts,
// rendered with renderHtml. Out: checks the page has a "Security" section (linked from the
// contents, between the charts and the case table) with the tally, the antivirus facts and one
// table: a body per group under a header row with its tally, a row per attack linking to its
// case's details with the verdict in words and its evidence; that hostile text in a title or an
// evidence line is shown escaped (no markup of its own, no broken tag) and no secret shows.
import t from 'tap';
import { SECURITY_VERDICTS, buildReport, renderHtml } from '../src';
import { escapeHtml } from '../src/html/escape';
import { brokenTags } from './html/fixture';
import { secrets } from './lib/fixture';
import { HOSTILE, NO_CLAMD, securityRun } from './lib/security-fixture';

void t.test('the page shows a table of every attack with its verdict and evidence', (t) => {
  const { token } = secrets();
  const report = buildReport(
    securityRun(token, { antivirus: { clamdAvailable: true, clamdVersion: 'ClamAV 1.4.6' } }),
  );
  const section = report.security;
  if (section === undefined) throw new Error('no security section');
  const html = renderHtml(report);
  const at = (s: string): number => html.indexOf(s);
  t.ok(at('<section id="charts"') < at('<section id="security"'), 'after the charts');
  t.ok(at('<section id="security"') < at('<section id="cases"'), 'before the case table');
  t.ok(at('<li><a href="#security">Security</a></li>') > 0, 'the contents link to it');

  const part = html.slice(at('<section id="security"'), at('<section id="cases"'));
  t.match(
    part,
    '<strong>13 attacks: 8 refused, 1 failed, 1 non-strict, 3 skipped.</strong>',
    'the tally',
  );
  t.match(part, '<dt>clamd</dt><dd>available (ClamAV 1.4.6)</dd>', 'clamd and its version');
  t.match(part, /<dt>scanner mode<\/dt><dd>fail-closed: [^<]*the run did not state it\)<\/dd>/);
  t.match(part, `<dt>AV cases skipped because</dt><dd>${escapeHtml(NO_CLAMD)}</dd>`);

  const bodies = [...part.matchAll(/<tbody data-area="([a-z]+)">/g)].map((m) => m[1]);
  t.same(
    bodies,
    section.groups.map((g) => g.area),
    'a body per group',
  );
  t.match(
    part,
    '<tr class="group"><th scope="colgroup" colspan="4">Hostile XML<span class="tally">2 attacks: 1 refused, 1 failed, 0 skipped</span></th></tr>',
    'each group under a header with its tally',
  );
  const rows = [...part.matchAll(/<tr id="attack-([A-Z]+-\d{3})"/g)].map((m) => m[1]);
  t.same(
    rows,
    section.rows.map((r) => r.id),
    'a row per attack, in order',
  );
  for (const r of section.rows) {
    const tr = new RegExp(`<tr id="attack-${r.id}"[^>]*>.*?</tr>`).exec(part)?.[0] ?? '';
    t.match(tr, `<a href="#case-${r.id}">${r.id}</a>`, `${r.id} links to its details`);
    t.match(
      tr,
      `<span class="outcome ${r.outcome}">${SECURITY_VERDICTS[r.outcome]}</span>`,
      `${r.id}: its verdict in words`,
    );
    t.ok(html.includes(`id="case-${r.id}"`), `${r.id}'s details are on the page`);
  }
  const xml2 = /<tr id="attack-XML-002".*?<\/tr>/.exec(part)?.[0] ?? '';
  t.match(xml2, '<strong>expected:</strong> <code>0 hits</code>');
  t.match(xml2, '<strong>observed:</strong> <code>1 hit (GET /canary)</code>');
  t.match(xml2, '<li><code>FAILED: the canary back office records zero hits</code></li>');
  const pdf = /<tr id="attack-PDF-001".*?<\/tr>/.exec(part)?.[0] ?? '';
  t.match(pdf, 'virus=Relaycheck.EICAR.UNOFFICIAL', 'the AV signature name');
  t.match(
    /<tr id="attack-HS-002".*?<\/tr>/.exec(part)?.[0] ?? '',
    'no evidence recorded beyond the verdict',
  );

  // hostile text: escaped in the attack and in the evidence line, nothing of its own
  const hostile = /<tr id="attack-SEC-002".*?<\/tr>/.exec(part)?.[0] ?? '';
  const shown = escapeHtml(HOSTILE);
  t.match(hostile, `<td>${shown}</td>`, 'the title is shown as text');
  t.match(hostile, `<code>relay:work: refused RELAY_E_ROUTE_PATH ${shown}</code>`, 'the line too');
  t.match(shown, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  t.notOk(part.includes('<script'), 'no script element in the section');
  t.same(brokenTags(part), [], 'no tag broken by a quote or a bracket');
  t.notOk(html.includes(token), 'no token on the page');
  t.match(part, 'reason=token SharedAccessSignature [redacted]');
  t.end();
});

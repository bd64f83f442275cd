// What the run was pointed at and which relay it tested. In: runs built with and without
// target, relay and relayConfig, and report.json documents that change them. Out: checks the
// defaults (simulator, reference), that azure and external are recorded with the relay's
// config path (redacted), that a config without an external relay is refused on build and on
// read, and that every rendering names them.
import t from 'tap';
import { buildReport, renderHtml, renderSummary, reportFromJson, reportToJson } from '../src';
import { mixedRun } from './lib/fixture';

void t.test('a run is against the simulator with the reference relay unless told', (t) => {
  const run = buildReport(mixedRun()).run;
  t.equal(run.target, 'simulator');
  t.equal(run.relay, 'reference');
  t.notOk('relayConfig' in run, 'no relay config');
  t.end();
});

void t.test('an external relay against Azure is recorded with its config path', (t) => {
  const report = buildReport(
    mixedRun({ target: 'azure', relay: 'external', relayConfig: '/etc/council/relay.json' }),
  );
  t.match(report.run, {
    target: 'azure',
    relay: 'external',
    relayConfig: '/etc/council/relay.json',
  });
  t.same(reportFromJson(reportToJson(report)), report, 'it reads back');
  const html = renderHtml(report);
  t.match(html, 'against a real Azure namespace with an external relay');
  t.match(
    html,
    '<dt>relay</dt><dd>external (one relaycheck did not write; config /etc/council/relay.json)</dd>',
  );
  t.match(renderSummary(report), '| relay config | /etc/council/relay.json |');
  const key = Buffer.alloc(32, 7).toString('base64');
  const redacted = buildReport(
    mixedRun({ relay: 'external', relayConfig: `C:\\council\\${key}.json` }),
  );
  t.equal(
    redacted.run.relayConfig,
    'C:\\council\\[redacted].json',
    'a key in the path is redacted',
  );
  t.end();
});

void t.test('a relay config without an external relay is refused', (t) => {
  t.throws(() => buildReport(mixedRun({ relayConfig: '/etc/relay.json' })), {
    name: 'ReportError',
    code: 'REPORT_E_INPUT',
    message: /a relay config is given, but the relay is not external/,
  });
  t.throws(() => buildReport(mixedRun({ target: 'cloud' as 'azure' })), {
    code: 'REPORT_E_INPUT',
    message: /the target "cloud" is not one of simulator, azure/,
  });
  const doc = JSON.parse(reportToJson(buildReport(mixedRun()))) as { run: object };
  const withConfig = { ...doc, run: { ...doc.run, relayConfig: '/etc/relay.json' } };
  t.throws(() => reportFromJson(JSON.stringify(withConfig)), {
    code: 'REPORT_E_SCHEMA',
    details: { path: 'run.relayConfig' },
  });
  const other = { ...doc, run: { ...doc.run, relay: 'someone' } };
  t.throws(() => reportFromJson(JSON.stringify(other)), {
    code: 'REPORT_E_SCHEMA',
    details: { path: 'run.relay' },
  });
  t.end();
});

// What the run was pointed at and which relay it tested. In: runs built with and without
// target, relay, relayConfig and namespaces, and report.json documents that change them. Out:
// checks the defaults (simulator, reference), that azure and external are recorded with the
// relay's config path (redacted) and the namespaces (hosts and rules), that a config without an
// external relay or namespaces without azure are refused on build and on read, and that every
// rendering names them.
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
  t.match(html, 'against the council’s own namespaces with an external relay');
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

void t.test('an azure run records the namespaces it used, by host and rule only', (t) => {
  const namespaces = {
    serviceBus: { host: 'council-42.servicebus.windows.net', keyName: 'relay' },
    relay: { host: 'council-42-relay.servicebus.windows.net', keyName: 'relaycheck' },
    tenant: 'council-42',
  };
  const report = buildReport(mixedRun({ target: 'azure', namespaces }));
  t.same(report.run.namespaces, namespaces);
  t.same(reportFromJson(reportToJson(report)), report, 'it reads back');
  t.match(
    renderHtml(report),
    '<dt>target</dt><dd>azure: Service Bus council-42.servicebus.windows.net (rule relay), Azure Relay council-42-relay.servicebus.windows.net (rule relaycheck), tenant council-42</dd>',
  );
  t.match(
    renderSummary(report),
    '| Service Bus | council-42.servicebus.windows.net (rule relay) |',
  );
  t.throws(() => buildReport(mixedRun({ namespaces })), {
    code: 'REPORT_E_INPUT',
    message: /namespaces are given, but the target is not azure/,
  });
  const doc = JSON.parse(reportToJson(buildReport(mixedRun()))) as { run: object };
  t.throws(() => reportFromJson(JSON.stringify({ ...doc, run: { ...doc.run, namespaces } })), {
    code: 'REPORT_E_SCHEMA',
    details: { path: 'run.namespaces' },
  });
  t.end();
});

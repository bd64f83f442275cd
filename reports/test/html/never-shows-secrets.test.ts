// index.html never shows a key or token. In: keys and a SAS token generated here
// (crypto.randomBytes), placed in a failed case's reason, failures, assertions and in the
// command line, as test output carries them; buildReport redacts, renderHtml renders. Out:
// checks that the page holds none of them in any encoding (raw, URL-encoded, JSON-escaped,
// HTML-escaped), that the text around them is kept, and that the written index.html agrees.
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildReport, renderHtml, writeReport } from '../../src';
import { escapeHtml } from '../../src/html/escape';
import { input, mkCase, pass, secrets } from '../lib/fixture';

void t.test('keys and SAS tokens from test output appear nowhere in index.html', (t) => {
  const { key, urlKey, token, sig } = secrets();
  const conn = `Endpoint=sb://council-42.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${key}`;

  const report = buildReport(
    input(
      [
        pass('HS-001'),
        {
          case: mkCase('SAS-002'),
          outcome: 'fail',
          ms: 3,
          reason: `CBS put-token refused for ${token}`,
          failures: [
            `connection string ${conn} was accepted`,
            `tenant key ${urlKey} did not authenticate`,
            `GET wss://council-42-relay.servicebus.windows.net/$hc/intake?sb-hc-action=listen&sb-hc-token=${encodeURIComponent(token)}`,
            `request header Authorization: ${token}`,
          ],
          assertions: [{ name: `key ${key} rotated`, ok: false, diag: `sig=${sig}` }],
        },
        { case: mkCase('SAS-003'), outcome: 'skip', ms: 0, reason: `needs ${key}` },
      ],
      { command: `relaycheck run --servicebus '${conn}'` },
    ),
  );
  const html = renderHtml(report);
  const forbidden = [key, urlKey, token, sig].flatMap((v) => [
    v,
    encodeURIComponent(v),
    JSON.stringify(v).slice(1, -1),
    escapeHtml(v),
    escapeHtml(encodeURIComponent(v)),
  ]);
  t.equal(forbidden.filter((v) => html.includes(v)).length, 0, 'no key, token or signature');
  t.match(html, 'CBS put-token refused for SharedAccessSignature [redacted]', 'evidence kept');
  t.match(html, 'SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=[redacted]');
  t.match(html, '<td>key [redacted] rotated</td>');

  const out = realpathSync(mkdtempSync(join(tmpdir(), 'relaycheck-html-secrets-')));
  t.teardown(() => {
    rmSync(out, { recursive: true, force: true });
  });
  const written = readFileSync(writeReport(out, report).indexHtml, 'utf8');
  t.equal(written, html, 'the written page is the rendered one');
  t.end();
});

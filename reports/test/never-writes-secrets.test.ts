// Secrets never reach a report. In: keys and SAS tokens generated here (crypto.randomBytes),
// placed in reasons, failed assertions, diagnostics, the command line and a case's evidence
// (expected/observed, event texts and fields, metric names) as test output carries them. Out:
// checks no written file holds them in any encoding, the text around them survives, and
// redact() leaves ordinary evidence alone.
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { createSasToken } from '../../relay/src/protocol/sas';
import { buildReport, redact, writeReport, type ReportCaseInput } from '../src';
import { escapeHtml } from '../src/html/escape';
import { checkProperty } from '../../suites/lib/property';
import { input, mkCase, pass, secrets } from './lib/fixture';

void t.test('keys and tokens in test output appear in no written report file', (t) => {
  const s = secrets();
  const conn = `Endpoint=sb://council-42.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${s.key}`;
  const report = buildReport(
    input(
      [
        pass('HS-001'),
        {
          case: mkCase('SAS-002'),
          outcome: 'fail',
          ms: 3,
          reason: `CBS put-token refused for ${s.token}`,
          failures: [
            `connection string ${conn} was accepted`,
            `tenant key ${s.urlKey} did not authenticate`,
            `GET wss://council-42-relay.servicebus.windows.net/$hc/intake?sb-hc-action=listen&sb-hc-token=${encodeURIComponent(s.token)}`,
            `request header Authorization: ${s.token}`,
            `config {"tenant":"council-42","key":"${s.urlKey}"}`,
            `signature sig=${encodeURIComponent(s.sig)} differs`,
          ],
          assertions: [{ name: `key ${s.key} rotated`, ok: false, diag: `sig=${s.sig}` }],
        },
        { case: mkCase('SAS-003'), outcome: 'skip', ms: 0, reason: `needs ${s.key}` },
      ],
      { command: `relaycheck run --servicebus '${conn}'` },
    ),
  );
  const out = realpathSync(mkdtempSync(join(tmpdir(), 'relaycheck-secrets-')));
  t.teardown(() => {
    rmSync(out, { recursive: true, force: true });
  });
  writeReport(out, report);
  const forbidden = [s.key, s.urlKey, s.token, s.sig].flatMap((v) => [
    v,
    encodeURIComponent(v),
    JSON.stringify(v).slice(1, -1),
  ]);
  const files = readdirSync(out);
  t.same(files.sort(), ['index.html', 'junit.xml', 'report.json', 'summary.md']);
  for (const file of files) {
    const text = readFileSync(join(out, file), 'utf8');
    const leaked = forbidden.filter((v) => text.includes(v)).length;
    t.equal(leaked, 0, `${file} holds no key, token or signature`);
    t.ok(text.includes('CBS put-token refused for'), `${file} keeps the evidence around them`);
  }
  const json = readFileSync(join(out, 'report.json'), 'utf8');
  t.match(json, 'SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=[redacted]');
  t.match(json, '\\"key\\":\\"[redacted]\\"');
  t.match(report.run.command, /^relaycheck run --servicebus '.*SharedAccessKey=\[redacted\]'$/);
  t.end();
});

void t.test('any 32-byte key or SAS token is removed wherever it sits in a line', async (t) => {
  const around = fc.constantFrom('', ' ', 'key=', '"', '(', ': ', '\n', ',', '.', "'");
  const words = fc.constantFrom('refused', 'PORT-003', 'sb://ns/q', 'got', '');
  await checkProperty(
    t,
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      around,
      around,
      words,
      fc.boolean(),
      (bytes, before, after, word, asToken) => {
        const key = Buffer.from(bytes).toString('base64');
        const secret = asToken
          ? createSasToken({ resource: 'sb://ns/q', keyName: 'k', key, expiresAt: 2_000_000_000 })
          : key;
        const text = `${word} ${before}${secret}${after} ${word}`;
        const out = redact(text);
        return !out.includes(secret) && !out.includes(key) && out.includes('[redacted]');
      },
    ),
    500,
  );
});

void t.test('redaction leaves ordinary evidence alone and is idempotent', (t) => {
  const ordinary = [
    'PORT-003 expected 5671 to be refused by the firewall, got allowed',
    'SharedAccessKeyName=RootManageSharedAccessKey',
    'sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d08c4d6d1b6e8 differs',
    '/work/main/suites/port/falls-back-to-443-when-5671-is-refused.test.ts:42',
    'Basic functionality of the Bearer mode works',
    'expected {"id":"HS-001","outcome":"pass"}',
  ];
  for (const text of ordinary) t.equal(redact(text), text, text);
  const s = secrets();
  const once = redact(`a ${s.token} b ${s.key}`);
  t.equal(once, 'a SharedAccessSignature [redacted] b [redacted]');
  t.equal(redact(once), once);
  t.end();
});

/** Every form a secret could be written in: as it is, URL-, JSON- and HTML-escaped, encoded. */
function formsOf(secret: string, bytes?: Buffer): string[] {
  const text = Buffer.from(secret);
  return [
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
    escapeHtml(secret),
    text.toString('base64'),
    text.toString('base64url'),
    text.toString('hex'),
    ...(bytes !== undefined
      ? [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')]
      : []),
  ];
}

void t.test("keys and tokens in a case's evidence appear in no written file, in any form", (t) => {
  const s = secrets();
  const keyBytes = Buffer.from(s.key, 'base64');
  const hexKey = keyBytes.toString('hex');
  const listen = `wss://council-42-relay.servicebus.windows.net/$hc/intake?sb-hc-action=listen&sb-hc-token=${encodeURIComponent(s.token)}`;
  const evidence: Partial<ReportCaseInput> = {
    assertions: [
      {
        name: `key ${s.key} rotated`,
        ok: false,
        expected: `SharedAccessKey=${s.key}`,
        observed: `Authorization: ${s.token}`,
        diag: `signature sig=${encodeURIComponent(s.sig)} differs`,
        at: `suites/sas/rotates.test.ts:12 (tenant key ${s.urlKey})`,
      },
      { name: `token ${s.token} accepted`, ok: true, observed: listen },
    ],
    events: [
      {
        atMs: 1,
        source: 'sb',
        channel: 'sim:sb:cbs',
        text: `put-token ${s.token}`,
        fields: { key: hexKey, token: s.token, url: listen, header: `Bearer ${s.urlKey}` },
      },
      {
        atMs: 2.5,
        source: 'hc',
        channel: 'sim:hc:listen',
        text: `GET ${listen}`,
        fields: { [s.urlKey]: true, config: `{"tenant":"council-42","key":"${s.urlKey}"}` },
      },
      {
        atMs: 3,
        source: 'net',
        channel: 'sim:net:dial',
        text: 'dial 51.140.146.50:5671 reject',
        fields: { port: 5671, address: '51.140.146.50', verdict: 'reject' },
      },
    ],
    metrics: [
      { name: `latency with key ${s.key}`, unit: 'ms', kind: 'samples', values: [1, 2, 3] },
      { name: `rate for ${s.token}`, unit: 'MiB/s', kind: 'series', points: [[0, 1]] },
    ],
  };
  const report = buildReport(
    input([
      pass('HS-001'),
      { case: mkCase('SAS-002'), outcome: 'fail', ms: 3, reason: 'CBS refused', ...evidence },
      { case: mkCase('SAS-003', 'should'), outcome: 'fail', ms: 3, reason: 'x', ...evidence },
    ]),
  );
  const out = realpathSync(mkdtempSync(join(tmpdir(), 'relaycheck-evidence-secrets-')));
  t.teardown(() => {
    rmSync(out, { recursive: true, force: true });
  });
  writeReport(out, report);
  const forbidden = [
    ...formsOf(s.key, keyBytes),
    ...formsOf(s.urlKey, Buffer.from(s.urlKey, 'base64url')),
    ...formsOf(s.token),
    ...formsOf(s.sig, Buffer.from(s.sig, 'base64')),
    ...formsOf(hexKey),
  ];
  const files = readdirSync(out);
  t.same(files.sort(), ['index.html', 'junit.xml', 'report.json', 'summary.md']);
  for (const file of files) {
    const text = readFileSync(join(out, file), 'utf8');
    const leaked = forbidden.filter((v) => text.includes(v));
    t.equal(leaked.length, 0, `${file} holds no key, token or signature in any form`);
  }
  const page = readFileSync(join(out, 'index.html'), 'utf8');
  t.match(page, 'put-token SharedAccessSignature [redacted]', 'the evidence around them stays');
  t.match(page, 'key=[redacted]', 'a field named key is redacted whatever its value');
  t.match(page, '>latency with key [redacted]</text>', 'a chart title too');
  t.match(readFileSync(join(out, 'junit.xml'), 'utf8'), 'expected: SharedAccessKey=[redacted]');
  t.match(readFileSync(join(out, 'summary.md'), 'utf8'), 'SharedAccessKey=\\[redacted\\]');
  t.end();
});

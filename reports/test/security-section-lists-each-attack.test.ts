// The security section built from a run. In: synthetic report cases of every security group
// (passes, a failure, a non-strict, skips) with recorded evidence, and a case that is no attack.
// Out: checks a row per attack in group order with its verdict, expected and observed and the
// telling evidence lines (typed code and rule, dead-letter reason, AV signature, TLS error,
// repeats counted), clipped and redacted; the counts per group and overall and their words; the
// antivirus facts (stated, assumed, AV skip reasons); the list of security ids.
import t from 'tap';
import { CATALOGUE } from '../../suites/catalogue';
import {
  SECURITY_AREAS,
  SECURITY_CASE_IDS,
  SECURITY_LIMITS,
  buildReport,
  buildSecuritySection,
  isSecurityCase,
  securityTally,
  type SecuritySection,
} from '../src';
import { input, pass, secrets } from './lib/fixture';
import { NO_CLAMD, securityRun } from './lib/security-fixture';

function sectionOf(report: { security?: SecuritySection }): SecuritySection {
  if (report.security === undefined) throw new Error('the report has no security section');
  return report.security;
}

void t.test('a row per attack, grouped, with its verdict', (t) => {
  const report = buildReport(securityRun(secrets().token));
  const s = sectionOf(report);
  t.same(
    s.rows.map((r) => r.id),
    [
      'XML-001',
      'XML-002',
      'PDF-001',
      'FN-001',
      'TLS-001',
      'AV-001',
      'AV-002',
      'SEC-001',
      'SEC-002',
      'HS-002',
      'ENV-004',
      'SAS-004',
      'PORT-011',
    ],
    'the security areas first (xml, pdf, fn, tls, av, sec), then the others in catalogue order',
  );
  t.notOk(
    s.rows.some((r) => r.id === 'PORT-001'),
    'a case that is no attack has no row',
  );
  t.same(
    s.groups.map((g) => g.title),
    [
      'Hostile XML',
      'Hostile PDFs',
      'Hostile file names',
      'TLS policy',
      'Antivirus (ClamAV)',
      'Tokens, replay, secrets and exposure',
      'Handshake',
      'Message envelope',
      'Shared access signatures',
      'Outbound ports',
    ],
    'each group is named by its area title',
  );
  const row = (id: string) => s.rows.find((r) => r.id === id);
  t.match(row('XML-001'), {
    group: 'Hostile XML',
    attack: 'an external entity to a local file is refused',
    outcome: 'pass',
    level: 'must',
    reason: null,
  });
  t.equal(row('XML-002')?.outcome, 'fail');
  t.equal(row('SAS-004')?.outcome, 'non-strict', 'a should-level failure is non-strict');
  t.match(row('FN-001'), {
    outcome: 'skip',
    reason: 'the file drop does not read declared names in this build',
  });
  t.same(
    s.counts,
    { pass: 8, 'non-strict': 1, fail: 1, skip: 3, info: 0, total: 13 },
    'counted over the rows',
  );
  t.same(s.groups[0]?.counts, { pass: 1, 'non-strict': 0, fail: 1, skip: 0, info: 0, total: 2 });
  t.equal(
    securityTally(s.counts),
    '13 attacks: 8 refused, 1 failed, 1 non-strict, 3 skipped',
    'the tally in words',
  );
  t.equal(
    securityTally({ pass: 1, 'non-strict': 0, fail: 0, skip: 0, info: 0, total: 1 }),
    '1 attack: 1 refused, 0 failed, 0 skipped',
  );
  t.end();
});

void t.test('the evidence: expected vs observed and the telling lines', (t) => {
  const { token, key } = secrets();
  const s = sectionOf(buildReport(securityRun(token)));
  const row = (id: string) => s.rows.find((r) => r.id === id);
  t.same(
    row('XML-001')?.evidence,
    [
      'relay:content: outcome=refused kind=xml rule=doctype',
      'relay:work: outcome=dead-lettered route=licensing code=RELAY_E_CONTENT_XML',
      'ok: refused with RELAY_E_CONTENT_XML (rule doctype)',
      'canary back-office hits: 0',
    ],
    'a refused attack: what the relay said (code, rule), the telling assertion, the canary',
  );
  t.match(
    row('XML-002'),
    {
      expected: '0 hits',
      observed: '1 hit (GET /canary)',
      reason: 'the canary back office records zero hits',
      evidence: [
        'FAILED: the canary back office records zero hits',
        'ok: refused with RELAY_E_CONTENT_XML',
      ],
    },
    'a failed attack: its failed assertion first, with what it expected and observed',
  );
  t.same(row('PDF-001')?.evidence, [
    'relay:scan: outcome=infected virus=Relaycheck.EICAR.UNOFFICIAL',
    'sim:sb:deadletter: deadLetterReason=RELAY_E_AV_INFECTED deadLetterErrorDescription=Relaycheck.EICAR.UNOFFICIAL FOUND',
  ]);
  t.same(row('TLS-001')?.evidence, [
    'relay:egress:tls: alert=protocol_version error=ERR_SSL_UNSUPPORTED_PROTOCOL',
  ]);
  t.same(
    row('ENV-004')?.evidence,
    ['relay:work: outcome=dead-lettered route=licensing code=RELAY_E_WORK_ENVELOPE (×300)'],
    'the same refusal 300 times is one line with its count',
  );
  t.same(row('HS-002')?.evidence, [], 'a case that recorded nothing has no lines');
  t.match(row('SAS-004')?.evidence, ['FAILED: refused at se'], 'failures when no assertions');
  const port = row('PORT-011')?.evidence ?? [];
  t.equal(port.length, SECURITY_LIMITS.evidenceLines + 1, 'at most the bound, then a count');
  t.match(port.at(-1), /^… and 8 more /);
  const sec = row('SEC-001')?.evidence.join('\n') ?? '';
  t.match(sec, /state=rejected reason=token SharedAccessSignature \[redacted\]/, 'redacted');
  t.notOk(sec.includes(key) || sec.includes(token), 'no key or token in the row');
  for (const r of s.rows) {
    for (const line of [...r.evidence, r.expected ?? '', r.observed ?? '']) {
      t.ok(line.length <= SECURITY_LIMITS.line, `${r.id}: a line is clipped`);
    }
  }
  t.end();
});

void t.test('long and secret-bearing evidence is redacted before it is clipped', (t) => {
  const { key } = secrets();
  const long = `refused RELAY_E_CONTENT_PDF ${'x'.repeat(SECURITY_LIMITS.line - 40)} key ${key}`;
  const report = buildReport(
    input([
      {
        ...pass('PDF-009'),
        events: [{ atMs: 1, source: 'relay', channel: 'relay:work', text: long }],
        assertions: [
          { name: 'refused', ok: true, expected: `no ${key}`, observed: 'x'.repeat(999) },
        ],
      },
    ]),
  );
  const r = sectionOf(report).rows[0];
  t.ok(r !== undefined);
  const line = r?.evidence[0] ?? '';
  t.equal(line.length, SECURITY_LIMITS.line, 'cut at the bound');
  t.ok(line.endsWith('…'), 'and says so');
  t.notOk(line.includes(key.slice(0, 12)), 'no part of the key: redaction came first');
  t.equal(r?.expected, 'no [redacted]');
  t.equal(r?.observed?.length, SECURITY_LIMITS.line);
  t.end();
});

void t.test('a scan that let a file through unscanned, and a flagged finding, are telling', (t) => {
  const report = buildReport(
    input([
      {
        ...pass('AV-009'),
        events: [
          {
            atMs: 1,
            source: 'relay',
            channel: 'relay:av',
            text: 'av verdict=unscanned code=RELAY_E_AV_UNAVAILABLE bytes=5 ms=3',
            fields: { verdict: 'unscanned', code: 'RELAY_E_AV_UNAVAILABLE', bytes: 5, ms: 3 },
          },
          {
            atMs: 2,
            source: 'relay',
            channel: 'relay:filedrop',
            text: 'filedrop outcome=written scan=clean',
            fields: { outcome: 'written', scan: 'clean', findings: 'javascript' },
          },
          {
            atMs: 3,
            source: 'relay',
            channel: 'relay:av',
            text: 'av verdict=clean bytes=5 ms=3',
            fields: { verdict: 'clean', bytes: 5, ms: 3 },
          },
        ],
      },
    ]),
  );
  t.same(sectionOf(report).rows[0]?.evidence, [
    'relay:av: verdict=unscanned code=RELAY_E_AV_UNAVAILABLE',
    'relay:filedrop: findings=javascript',
  ]);
  t.end();
});

void t.test('the antivirus facts: as the run states them, else assumed and said so', (t) => {
  const token = secrets().token;
  const stated = sectionOf(
    buildReport(
      securityRun(token, {
        antivirus: { clamdAvailable: true, clamdVersion: 'ClamAV 1.4.6', scannerMode: 'fail-open' },
      }),
    ),
  );
  t.same(stated.antivirus, {
    clamd: 'available',
    clamdVersion: 'ClamAV 1.4.6',
    clamdNote: null,
    scannerMode: 'fail-open',
    scannerModeSource: 'run',
    skipReasons: [NO_CLAMD],
  });
  const missing = sectionOf(
    buildReport(
      securityRun(token, {
        antivirus: { clamdAvailable: false, clamdNote: 'clamd is not installed' },
      }),
    ),
  );
  t.match(missing.antivirus, {
    clamd: 'unavailable',
    clamdVersion: null,
    clamdNote: 'clamd is not installed',
    scannerMode: 'fail-closed',
    scannerModeSource: 'default',
  });
  const unsaid = sectionOf(buildReport(securityRun(token)));
  t.match(
    unsaid.antivirus,
    { clamd: 'unknown', scannerMode: 'fail-closed', scannerModeSource: 'default' },
    'AV cases but no facts: clamd unknown, the default mode assumed',
  );
  const noAv = buildReport(input([pass('XML-001')]));
  t.equal(sectionOf(noAv).antivirus, undefined, 'no AV case and no facts: nothing to say');
  const factsOnly = buildReport(
    input([pass('XML-001')], { antivirus: { clamdAvailable: true, clamdVersion: 'ClamAV 1.4.6' } }),
  );
  t.equal(sectionOf(factsOnly).antivirus?.clamd, 'available', 'stated facts are kept');
  t.throws(
    () =>
      buildReport(
        securityRun(token, {
          antivirus: { scannerMode: 'fail-sideways' as unknown as 'fail-open' },
        }),
      ),
    { code: 'REPORT_E_INPUT', details: { path: 'security.antivirus' } },
    'an unknown scanner mode is refused',
  );
  t.end();
});

void t.test('the security ids: each catalogued, the areas all attacks', (t) => {
  const catalogued = new Set(CATALOGUE.map((c) => c.id));
  t.same(
    SECURITY_CASE_IDS.filter((id) => !catalogued.has(id)),
    [],
    'every listed id is a catalogued case',
  );
  t.equal(SECURITY_CASE_IDS.length, 46);
  t.equal(new Set(SECURITY_CASE_IDS).size, SECURITY_CASE_IDS.length, 'no id twice');
  t.same([...SECURITY_AREAS], ['xml', 'pdf', 'fn', 'tls', 'av', 'sec']);
  for (const c of CATALOGUE.filter((c) => (SECURITY_AREAS as readonly string[]).includes(c.area))) {
    t.ok(isSecurityCase(c), `${c.id} is an attack`);
  }
  t.notOk(isSecurityCase({ id: 'PORT-001', area: 'port' }));
  const ghost = buildSecuritySection({
    cases: buildReport(input([pass('PORT-001')])).cases,
    areas: [],
  });
  t.equal(ghost, undefined, 'ids of the list that are not among the cases are ignored');
  t.end();
});

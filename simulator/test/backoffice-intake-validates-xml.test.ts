// The XML intake services (council tax & benefits, environmental health, licensing). In:
// good submissions, a wrong root, malformed XML, a "billion laughs" entity bomb and an
// external entity (both made at run time), an undefined entity, bodies over the limit by
// Content-Length and by a chunked stream, the wrong media type, another encoding, invalid
// UTF-8. Out: 201 with Location and a receipt (the stored bytes come back from the Location),
// or 400/413/415 with the right SIM_E_BO_* code; the bomb is refused without expansion;
// the same body without a key twice is two submissions (keys: see
// backoffice-intake-honours-idempotency-key.test.ts).
import { createHash } from 'node:crypto';
import t from 'tap';
import {
  ManualTime,
  checkXml,
  rawRequest,
  startBackOffice,
  type BackOffice,
} from '../src/backoffice';

async function start(t: tap.Test, extra: Record<string, unknown> = {}): Promise<BackOffice> {
  const time = new ManualTime(Date.UTC(2025, 9, 15, 9));
  const bo = await startBackOffice(
    { seed: 'intake', control: { enabled: false }, ...extra },
    { clock: time, timers: time },
  );
  t.teardown(() => bo.close());
  return bo;
}

const XML = { 'content-type': 'application/xml' };

function codeOf(body: Buffer): string | undefined {
  return /<Code>([A-Z_]+)<\/Code>/.exec(body.toString('utf8'))?.[1];
}

const SERVICES = [
  {
    service: 'ctb-intake',
    path: '/changes',
    prefix: 'CTB',
    xml: '<ChangeOfCircumstances xmlns="urn:council:forms"><Account>6000000014</Account><Change>Moved in with partner &amp; child</Change></ChangeOfCircumstances>',
  },
  {
    service: 'environmental-health',
    path: '/cases',
    prefix: 'EH',
    xml: '<EnvironmentalHealthCase><Type>Noise</Type><Details>Dog barking "all night"</Details></EnvironmentalHealthCase>',
  },
  {
    service: 'licensing',
    path: '/applications',
    prefix: 'LIC',
    xml: '<?xml version="1.0" encoding="UTF-8"?>\n<LicenceApplication><Kind>Temporary event notice</Kind></LicenceApplication>',
  },
] as const;

/** The classic entity-expansion bomb: `levels` levels of ten references each. */
function billionLaughs(levels: number): string {
  const decls = ['<!ENTITY lol0 "lol">'];
  for (let i = 1; i <= levels; i++) {
    decls.push(`<!ENTITY lol${String(i)} "${`&lol${String(i - 1)};`.repeat(10)}">`);
  }
  return `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n${decls.join('\n')}\n]>\n<ChangeOfCircumstances>&lol${String(levels)};</ChangeOfCircumstances>`;
}

void t.test(
  'each intake service answers 201 with a Location and a receipt, and keeps the bytes',
  async (t) => {
    const bo = await start(t);
    for (const s of SERVICES) {
      const r = await rawRequest(`${bo.url(s.service)}${s.path}`, {
        method: 'POST',
        headers: { ...XML, 'idempotency-key': `idem-${s.service}` },
        body: s.xml,
      });
      t.equal(r.status, 201, s.service);
      const location = String(r.headers.location);
      t.match(location, new RegExp(`^${s.path}/${s.prefix}-\\d{4}-000001$`));
      t.equal(checkXml(r.body).root, 'Receipt');
      const ref = location.split('/').pop() ?? '';
      t.ok(r.body.includes(`<Reference>${ref}</Reference>`));
      t.ok(
        r.body.includes(createHash('sha256').update(s.xml).digest('hex')),
        'the receipt holds the SHA-256',
      );
      const back = await rawRequest(`${bo.url(s.service)}${location}`);
      t.equal(back.status, 200);
      t.equal(back.body.toString('utf8'), s.xml, 'the stored submission is byte-identical');
      const entry = bo.journal.find({ service: s.service, method: 'POST' });
      t.match(entry, {
        status: 201,
        reference: ref,
        idempotencyKey: `idem-${s.service}`,
        requestBytes: Buffer.byteLength(s.xml),
      });
    }
    t.equal(bo.intake['ctb-intake'].list().length, 1);
  },
);

void t.test('the same body twice without an idempotency key gets two references', async (t) => {
  const bo = await start(t);
  const s = SERVICES[0];
  for (let i = 0; i < 2; i++) {
    const r = await rawRequest(`${bo.url(s.service)}${s.path}`, {
      method: 'POST',
      headers: XML,
      body: s.xml,
    });
    t.equal(r.status, 201);
  }
  t.same(
    bo.intake['ctb-intake'].list().map((x) => x.reference),
    ['CTB-2025-000001', 'CTB-2025-000002'],
  );
});

void t.test(
  'a wrong root element, malformed XML or an undefined entity is a 400 with its code',
  async (t) => {
    const bo = await start(t);
    const url = `${bo.url('licensing')}/applications`;
    const cases: [string, string][] = [
      ['<ChangeOfCircumstances/>', 'SIM_E_BO_XML_ROOT'],
      ['<LicenceApplication><Kind></LicenceApplication>', 'SIM_E_BO_XML_MALFORMED'],
      ['<LicenceApplication>&nbsp;</LicenceApplication>', 'SIM_E_BO_XML_MALFORMED'],
      ['', 'SIM_E_BO_XML_MALFORMED'],
      ['not xml at all', 'SIM_E_BO_XML_MALFORMED'],
      ['<LicenceApplication/><LicenceApplication/>', 'SIM_E_BO_XML_MALFORMED'],
      [
        '<?xml version="1.0" encoding="ISO-8859-1"?><LicenceApplication/>',
        'SIM_E_BO_XML_MALFORMED',
      ],
    ];
    for (const [body, code] of cases) {
      const r = await rawRequest(url, { method: 'POST', headers: XML, body });
      t.equal(r.status, 400, JSON.stringify(body));
      t.equal(codeOf(r.body), code, JSON.stringify(body));
      t.equal(checkXml(r.body).root, 'Error');
    }
    const badUtf8 = Buffer.concat([
      Buffer.from('<LicenceApplication>'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('</LicenceApplication>'),
    ]);
    const r = await rawRequest(url, { method: 'POST', headers: XML, body: badUtf8 });
    t.equal(codeOf(r.body), 'SIM_E_BO_XML_MALFORMED', 'invalid UTF-8');
    t.equal(bo.intake.licensing.list().length, 0, 'nothing refused was stored');
  },
);

void t.test(
  'a billion-laughs bomb and an external entity are refused as DOCTYPEs, never expanded',
  async (t) => {
    const bo = await start(t);
    const url = `${bo.url('ctb-intake')}/changes`;
    const bomb = billionLaughs(9); // 10^9 "lol"s if it were expanded: 3 GB
    t.ok(bomb.length < 1000, 'the bomb itself is tiny');
    const heapBefore = process.memoryUsage().heapUsed;
    const r = await rawRequest(url, { method: 'POST', headers: XML, body: bomb });
    t.equal(r.status, 400);
    t.equal(codeOf(r.body), 'SIM_E_BO_XML_DOCTYPE');
    t.notMatch(r.body.toString(), /lollol/, 'no expansion reaches the answer');
    t.ok(
      process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024,
      'the heap did not grow by the expansion',
    );
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]><ChangeOfCircumstances>&x;</ChangeOfCircumstances>';
    const r2 = await rawRequest(url, { method: 'POST', headers: XML, body: xxe });
    t.equal(codeOf(r2.body), 'SIM_E_BO_XML_DOCTYPE');
    t.notMatch(r2.body.toString(), /root:/, 'no file content leaks');
    const plainDoctype = '<!DOCTYPE ChangeOfCircumstances><ChangeOfCircumstances/>';
    const r3 = await rawRequest(url, { method: 'POST', headers: XML, body: plainDoctype });
    t.equal(codeOf(r3.body), 'SIM_E_BO_XML_DOCTYPE', 'even a DOCTYPE without declarations');
    t.equal(bo.intake['ctb-intake'].list().length, 0);
  },
);

void t.test('a body over the limit is a 413, by Content-Length or streamed chunked', async (t) => {
  const bo = await start(t, { intake: { maxBodyBytes: 1024 } });
  const url = `${bo.url('environmental-health')}/cases`;
  const big = `<EnvironmentalHealthCase>${'x'.repeat(2000)}</EnvironmentalHealthCase>`;
  const a = await rawRequest(url, { method: 'POST', headers: XML, body: big });
  t.equal(a.status, 413);
  t.equal(codeOf(a.body), 'SIM_E_BO_TOO_LARGE');
  const chunks = [
    Buffer.from('<EnvironmentalHealthCase>'),
    ...Array.from({ length: 10 }, () => Buffer.from('y'.repeat(200))),
    Buffer.from('</EnvironmentalHealthCase>'),
  ];
  const b = await rawRequest(url, { method: 'POST', headers: XML, body: chunks });
  t.equal(b.status, 413, 'chunked, no Content-Length');
  t.equal(codeOf(b.body), 'SIM_E_BO_TOO_LARGE');
  const ok = await rawRequest(url, {
    method: 'POST',
    headers: XML,
    body: '<EnvironmentalHealthCase/>',
  });
  t.equal(ok.status, 201, 'a small body is still accepted');
});

void t.test('a body that is not XML by media type is a 415', async (t) => {
  const bo = await start(t);
  const r = await rawRequest(`${bo.url('ctb-intake')}/changes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"a":1}',
  });
  t.equal(r.status, 415);
  t.equal(codeOf(r.body), 'SIM_E_BO_CONTENT_TYPE');
  for (const type of ['text/xml; charset=utf-8', 'application/soap+xml']) {
    const ok = await rawRequest(`${bo.url('ctb-intake')}/changes`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: '<CouncilTaxReductionClaim/>',
    });
    t.equal(ok.status, 201, type);
  }
  const missing = await rawRequest(`${bo.url('ctb-intake')}/changes/CTB-1999-000001`);
  t.equal(missing.status, 404);
  t.equal(codeOf(missing.body), 'SIM_E_BO_NOT_FOUND');
});

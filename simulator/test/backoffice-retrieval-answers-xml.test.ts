// The retrieval services (council tax, business rates, benefits). In: GET requests for
// references from the generated data sets, unknown and malformed references, stray paths
// and methods. Out: XML in each service's namespace, XML <Error> bodies with the right code
// and status, characters escaped, and one journal entry per request.
import t from 'tap';
import {
  ManualTime,
  Rng,
  benefitsXml,
  businessRatesXml,
  checkXml,
  councilTaxXml,
  rawRequest,
  startBackOffice,
  type BackOffice,
  type DataSet,
} from '../src/backoffice';

async function start(t: tap.Test, time?: ManualTime): Promise<BackOffice> {
  const bo = await startBackOffice(
    { seed: 'retrieval', control: { enabled: false } },
    time === undefined ? {} : { clock: time, timers: time },
  );
  t.teardown(() => bo.close());
  return bo;
}

/** A well-formed reference of the scheme that the data set does not hold. */
function unknownReference(set: DataSet<{ readonly reference: string }>): string {
  const rng = new Rng('not in the data set');
  for (let i = 0; i < 1000; i++) {
    const ref = set.scheme.make(rng);
    if (!set.has(ref)) return ref;
  }
  throw new Error('no unknown reference found');
}

function errorCode(body: Buffer): string | undefined {
  return /<Code>([A-Z_]+)<\/Code>/.exec(body.toString('utf8'))?.[1];
}

const SERVICES = [
  { service: 'council-tax', collection: 'accounts', root: 'CouncilTaxAccount', set: 'councilTax' },
  {
    service: 'business-rates',
    collection: 'properties',
    root: 'BusinessRatesAccount',
    set: 'businessRates',
  },
  { service: 'benefits', collection: 'claims', root: 'BenefitsClaim', set: 'benefits' },
] as const;

void t.test(
  'each retrieval service answers a known reference with well-formed XML in its namespace',
  async (t) => {
    const bo = await start(t);
    for (const s of SERVICES) {
      const set = bo.data[s.set];
      for (const ref of set.references.slice(0, 3)) {
        const r = await rawRequest(`${bo.url(s.service)}/${s.collection}/${ref}`);
        t.equal(r.status, 200, `${s.service} ${ref}`);
        t.equal(r.headers['content-type'], 'application/xml; charset=utf-8');
        const check = checkXml(r.body);
        t.equal(check.root, s.root);
        t.equal(check.namespace, `urn:relaycheck:backoffice:${s.service}:v1`);
        t.ok(r.body.includes(`"${ref}"`), 'the document names its reference');
      }
    }
  },
);

void t.test('every record of every data set renders as well-formed XML', async (t) => {
  const bo = await start(t);
  const asOf = bo.config.asOf;
  for (const a of bo.data.councilTax.items) {
    t.equal(checkXml(councilTaxXml(a, asOf)).root, 'CouncilTaxAccount');
  }
  for (const a of bo.data.businessRates.items) {
    t.equal(checkXml(businessRatesXml(a, asOf)).root, 'BusinessRatesAccount');
  }
  for (const c of bo.data.benefits.items)
    t.equal(checkXml(benefitsXml(c, asOf)).root, 'BenefitsClaim');
  t.equal(bo.data.councilTax.items.length, 200, 'the default data set sizes');
  t.equal(bo.data.businessRates.items.length, 120);
  t.equal(bo.data.benefits.items.length, 150);
});

void t.test('an unknown but well-formed reference is a 404 with an XML error body', async (t) => {
  const bo = await start(t);
  for (const s of SERVICES) {
    const ref = unknownReference(bo.data[s.set]);
    const r = await rawRequest(`${bo.url(s.service)}/${s.collection}/${ref}`);
    t.equal(r.status, 404, `${s.service} ${ref}`);
    t.equal(checkXml(r.body).root, 'Error');
    t.equal(errorCode(r.body), 'SIM_E_BO_NOT_FOUND');
  }
});

void t.test(
  'a malformed reference or a wrong check digit is a 400 SIM_E_BO_REFERENCE',
  async (t) => {
    const bo = await start(t);
    const good = bo.data.councilTax.references[0] ?? '';
    const wrongCheck = `${good.slice(0, 9)}${String((Number(good[9]) + 1) % 10)}`;
    for (const ref of ['123', 'abc', wrongCheck, '%3Cscript%3E', '6000000000000000000']) {
      const r = await rawRequest(`${bo.url('council-tax')}/accounts/${ref}`);
      t.equal(r.status, 400, ref);
      t.equal(errorCode(r.body), 'SIM_E_BO_REFERENCE', ref);
      t.doesNotThrow(
        () => checkXml(r.body),
        'the error body is well-formed even for hostile input',
      );
    }
  },
);

void t.test('text with apostrophes, quotes and ampersands is escaped, never raw', async (t) => {
  const bo = await start(t);
  const item = bo.data.businessRates.items.find((a) => /[&"']/.test(a.ratepayer.name));
  if (item === undefined) {
    t.fail('the data set holds a ratepayer name with & or a quote');
    return;
  }
  const r = await rawRequest(`${bo.url('business-rates')}/properties/${item.reference}`);
  const xml = r.body.toString('utf8');
  const escaped = item.ratepayer.name.replace(/&/g, '&amp;');
  t.ok(xml.includes(`<Name>${escaped}</Name>`), `the name is escaped: ${escaped}`);
  t.notMatch(xml, /&(?!amp;|lt;|gt;|quot;|#)/, 'no bare ampersand');
});

void t.test(
  'the journal records each request with its method, path, status, timing and idempotency key',
  async (t) => {
    const time = new ManualTime();
    const bo = await start(t, time);
    const ref = bo.data.benefits.references[0] ?? '';
    await rawRequest(`${bo.url('benefits')}/claims/${ref}?x=1`, {
      headers: {
        'idempotency-key': 'key-1',
        authorization: 'SharedAccessSignature sig=never-recorded',
        'x-correlation-id': 'corr-7',
      },
    });
    const entries = bo.journal.entries({ service: 'benefits' });
    t.equal(entries.length, 1);
    const e = entries[0];
    t.match(e, {
      kind: 'request',
      method: 'GET',
      path: `/claims/${ref}`,
      query: 'x=1',
      status: 200,
      outcome: 'answered',
      matched: true,
      idempotencyKey: 'key-1',
      reference: ref,
      startedAt: time.now(),
      durationMs: 0,
    });
    t.equal(e?.headers['x-correlation-id'], 'corr-7');
    t.equal(e?.headers.authorization, undefined, 'Authorization is never recorded');
    t.notMatch(
      JSON.stringify(bo.journal.entries()),
      /never-recorded/,
      'no secret anywhere in the journal',
    );
    t.ok((e?.responseBytes ?? 0) > 100, 'the answer size is recorded');
    t.same(
      bo.journal.byIdempotencyKey('key-1').map((x) => x.seq),
      [e?.seq],
    );
    t.equal(
      bo.journal.find({ header: { name: 'X-Correlation-Id', value: 'corr-7' } })?.seq,
      e?.seq,
    );
  },
);

void t.test(
  'a path no route has is an unmatched 404, a wrong method a 405 with Allow',
  async (t) => {
    const bo = await start(t);
    const ref = bo.data.councilTax.references[0] ?? '';
    const a = await rawRequest(`${bo.url('council-tax')}/nothing/here`);
    t.equal(a.status, 404);
    t.equal(errorCode(a.body), 'SIM_E_BO_ROUTE');
    const b = await rawRequest(`${bo.url('council-tax')}/accounts/${ref}`, { method: 'DELETE' });
    t.equal(b.status, 405);
    t.equal(b.headers.allow, 'GET, HEAD');
    t.equal(errorCode(b.body), 'SIM_E_BO_METHOD');
    const c = await rawRequest(`${bo.url('council-tax')}/accounts/${ref}`, { method: 'HEAD' });
    t.equal(c.status, 200);
    t.equal(c.body.length, 0, 'HEAD has no body');
    t.ok(Number(c.headers['content-length']) > 0, 'but the length of one');
    t.same(
      bo.journal.unmatched().map((e) => [e.path, e.status]),
      [
        ['/nothing/here', 404],
        [`/accounts/${ref}`, 405],
      ],
    );
  },
);

// Determinism of the back office. In: two back offices started with the same seed, and one
// with another. Out: the same seed gives the same references and byte-identical XML and PDFs
// (plain and padded) across starts; another seed gives different ones.
import { createHash } from 'node:crypto';
import t from 'tap';
import { rawRequest, startBackOffice, type BackOffice } from '../src/backoffice';

async function start(t: tap.Test, seed: string): Promise<BackOffice> {
  const bo = await startBackOffice({
    seed,
    control: { enabled: false },
    data: { councilTaxAccounts: 20, businessRatesProperties: 20, benefitsClaims: 20 },
  });
  t.teardown(() => bo.close());
  return bo;
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The bytes of a few XML records and PDFs of `bo`, by name. */
async function sample(bo: BackOffice): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ct = bo.data.councilTax.references.slice(0, 3);
  const br = bo.data.businessRates.references.slice(0, 2);
  const hb = bo.data.benefits.references.slice(0, 2);
  const urls = [
    ...ct.map((r) => `${bo.url('council-tax')}/accounts/${r}`),
    ...br.map((r) => `${bo.url('business-rates')}/properties/${r}`),
    ...hb.map((r) => `${bo.url('benefits')}/claims/${r}`),
    ...ct
      .slice(0, 1)
      .flatMap((r) => [
        `${bo.url('documents')}/documents/council-tax/${r}/bill.pdf`,
        `${bo.url('documents')}/documents/council-tax/${r}/letter.pdf`,
        `${bo.url('documents')}/documents/council-tax/${r}/payment-schedule.pdf?size=200K`,
      ]),
    `${bo.url('documents')}/documents/business-rates/${br[0] ?? ''}/bill.pdf?size=100000`,
    `${bo.url('documents')}/documents/benefits/${hb[0] ?? ''}/letter.pdf`,
  ];
  for (const url of urls) {
    const r = await rawRequest(url);
    if (r.status !== 200) throw new Error(`${url}: ${String(r.status)}`);
    out.set(new URL(url).pathname + new URL(url).search, sha(r.body));
  }
  return out;
}

void t.test(
  'the same seed gives the same references and byte-identical XML and PDFs',
  async (t) => {
    const a = await start(t, 'council-42');
    const b = await start(t, 'council-42');
    t.same(a.data.councilTax.references, b.data.councilTax.references);
    t.same(a.data.businessRates.references, b.data.businessRates.references);
    t.same(a.data.benefits.references, b.data.benefits.references);
    const sa = await sample(a);
    const sb = await sample(b);
    t.equal(sa.size, 12);
    t.same([...sa], [...sb], 'every XML record and PDF has the same SHA-256');
  },
);

void t.test('another seed gives other references and other bytes', async (t) => {
  const a = await start(t, 'council-42');
  const c = await start(t, 'council-43');
  const shared = a.data.councilTax.references.filter((r) => c.data.councilTax.has(r));
  t.equal(shared.length, 0, 'no council tax reference in common');
  const sa = [...(await sample(a)).values()];
  const sc = [...(await sample(c)).values()];
  t.equal(
    sa.filter((h) => sc.includes(h)).length,
    0,
    'no XML record or PDF is byte-identical across seeds',
  );
});

void t.test('one service data set does not move when another one grows', async (t) => {
  const small = await start(t, 'same');
  const big = await startBackOffice({
    seed: 'same',
    control: { enabled: false },
    data: { councilTaxAccounts: 20, businessRatesProperties: 20, benefitsClaims: 300 },
  });
  t.teardown(() => big.close());
  t.same(big.data.councilTax.references, small.data.councilTax.references);
  t.same(big.data.benefits.references.slice(0, 20), small.data.benefits.references);
});

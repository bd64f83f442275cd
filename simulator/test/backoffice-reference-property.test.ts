// References round-trip. In: any reference the data set generated, any well-formed reference
// it did not, and any text at all (fast-check, seed printed on failure). Out: generated ones
// are found (over HTTP too), well-formed unknown ones are 404 SIM_E_BO_NOT_FOUND, malformed
// text is 400 SIM_E_BO_REFERENCE, and no input makes a service answer 5xx or bad XML.
import fc from 'fast-check';
import t from 'tap';
import { checkProperty } from '../../suites/lib/property';
import {
  BENEFITS_CLAIM_REFERENCE,
  BUSINESS_RATES_REFERENCE,
  COUNCIL_TAX_REFERENCE,
  Rng,
  SimBackOfficeError,
  checkXml,
  generateDataSets,
  rawRequest,
  startBackOffice,
  type DataSet,
  type ReferenceScheme,
} from '../src/backoffice';
import { luhn } from '../src/backoffice/references';
import { lookup } from '../src/backoffice/retrieval';

const data = generateDataSets({
  seed: 'property',
  asOf: '2025-10-15',
  councilTaxAccounts: 200,
  businessRatesProperties: 120,
  benefitsClaims: 150,
});
const sets: readonly [string, DataSet<{ reference: string }>][] = [
  ['council tax', data.councilTax],
  ['business rates', data.businessRates],
  ['benefits', data.benefits],
];

/** A well-formed reference of the scheme, from any 32-bit seed (not necessarily generated). */
function wellFormed(scheme: ReferenceScheme): fc.Arbitrary<string> {
  return fc.integer({ min: 0, max: 0xffffffff }).map((s) => scheme.make(Rng.fromState(s)));
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof SimBackOfficeError ? e.code : 'untyped';
  }
}

void t.test('every scheme validates what it makes and its pattern', (t) => {
  for (const scheme of [
    COUNCIL_TAX_REFERENCE,
    BUSINESS_RATES_REFERENCE,
    BENEFITS_CLAIM_REFERENCE,
  ]) {
    const rng = new Rng(scheme.name);
    const made = Array.from({ length: 500 }, () => scheme.make(rng));
    t.same(
      made.filter((ref) => scheme.problem(ref) !== undefined || !scheme.pattern.test(ref)),
      [],
      `${scheme.name}: 500 made, each valid (e.g. ${made[0] ?? ''})`,
    );
  }
  t.end();
});

void t.test('check digits follow their published algorithms (known vectors)', (t) => {
  t.equal(COUNCIL_TAX_REFERENCE.problem('6000000014'), undefined, 'mod 11: 600000001 → 4');
  t.equal(COUNCIL_TAX_REFERENCE.problem('6000000015'), 'the check digit is wrong');
  t.equal(BUSINESS_RATES_REFERENCE.problem('39050000000134'), undefined, 'MOD 97-10: → 34');
  t.equal(BUSINESS_RATES_REFERENCE.problem('39050000000135'), 'the check digits are wrong');
  t.equal(BENEFITS_CLAIM_REFERENCE.problem('10000008'), undefined, 'Luhn: 1000000 → 8');
  t.equal(BENEFITS_CLAIM_REFERENCE.problem('10000009'), 'the check digit is wrong');
  t.equal(luhn('7992739871'), 3, 'the textbook Luhn example');
  t.end();
});

void t.test('a generated reference is found; any other well-formed one is not found', async (t) => {
  for (const [name, set] of sets) {
    await checkProperty(
      t,
      fc.property(
        fc.nat({ max: set.references.length - 1 }),
        wellFormed(set.scheme),
        (i, other) => {
          const ref = set.references[i] ?? '';
          if (lookup(set, ref).reference !== ref) return false;
          return set.has(other)
            ? codeOf(() => lookup(set, other)) === undefined
            : codeOf(() => lookup(set, other)) === 'SIM_E_BO_NOT_FOUND';
        },
      ),
    );
    t.comment(`${name}: ${String(set.references.length)} references`);
  }
});

void t.test(
  'any text that is not a valid reference is refused with SIM_E_BO_REFERENCE',
  async (t) => {
    for (const [, set] of sets) {
      await checkProperty(
        t,
        fc.property(
          fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.stringMatching(/^\d{6,16}$/)),
          (text) => {
            const code = codeOf(() => lookup(set, text));
            if (set.scheme.problem(text) === undefined)
              return code === undefined || code === 'SIM_E_BO_NOT_FOUND';
            return code === 'SIM_E_BO_REFERENCE';
          },
        ),
      );
    }
  },
);

void t.test(
  'over HTTP: generated references are 200, others 404, garbage 400, never 5xx',
  async (t) => {
    const bo = await startBackOffice({ seed: 'property', control: { enabled: false } });
    t.teardown(() => bo.close());
    const base = bo.url('council-tax');
    await checkProperty(
      t,
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...bo.data.councilTax.references).map((r) => ({ ref: r, expect: 200 })),
          wellFormed(COUNCIL_TAX_REFERENCE)
            .filter((r) => !bo.data.councilTax.has(r))
            .map((r) => ({ ref: r, expect: 404 })),
          fc.string({ unit: 'grapheme', minLength: 1 }).map((r) => ({ ref: r, expect: 0 })),
        ),
        async ({ ref, expect }) => {
          const r = await rawRequest(`${base}/accounts/${encodeURIComponent(ref)}`);
          if (r.status === undefined || r.status >= 500) return false;
          const root = checkXml(r.body).root;
          if (expect !== 0)
            return r.status === expect && root === (expect === 200 ? 'CouncilTaxAccount' : 'Error');
          return [200, 400, 404].includes(r.status);
        },
      ),
      200,
    );
    t.equal(
      bo.journal.count({ service: 'council-tax', outcome: 'answered' }),
      200,
      'every request was journaled',
    );
  },
);

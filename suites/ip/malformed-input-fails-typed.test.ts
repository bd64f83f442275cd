// IP-015: hostile input. In: random text and bytes, random edits of the real fixtures, and
// generated tag records (the fuzz targets' arbitraries). Out: every parse, selection and
// aggregation either returns or throws a RangesError with a catalogued IP_E_ code.
import fc from 'fast-check';
import { RANGES_ERRORS, RangesError, parseSource, selectRanges } from '../../relay/src/egress';
import {
  jsonInputs,
  rangesJsonTarget,
  rangesTolerantXmlTarget,
  rangesXmlTarget,
  xmlInputs,
} from '../fuzz/targets/ranges';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const CODES = new Set<string>(RANGES_ERRORS.codes);

/** True when `fn` returns, or throws a RangesError with a catalogued code. */
function typed(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof RangesError && CODES.has(e.code)) return true;
    throw e; // shown as the counterexample's error
  }
}

/** A small valid source, so the selection options reach the deep paths. */
const SAMPLE = JSON.stringify({
  changeNumber: 1,
  cloud: 'Public',
  values: [
    {
      name: 'ServiceBus.UKSouth',
      id: 'ServiceBus.UKSouth',
      properties: {
        changeNumber: 9,
        region: 'uksouth',
        regionId: 27,
        platform: 'Azure',
        systemService: 'AzureServiceBus',
        addressPrefixes: ['51.140.146.48/29', '2603:1020:705::700/120'],
        networkFeatures: ['API'],
      },
    },
  ],
});

void kase('IP-015', async (t) => {
  await t.test('mutated and generated JSON never throws an untyped error', (t) =>
    checkProperty(
      t,
      fc.property(jsonInputs, (s) => typed(() => rangesJsonTarget.run(s))),
    ),
  );

  await t.test('mutated and generated XML never throws an untyped error, strict or tolerant', (t) =>
    checkProperty(
      t,
      fc.property(
        xmlInputs,
        (s) => typed(() => rangesXmlTarget.run(s)) && typed(() => rangesTolerantXmlTarget.run(s)),
      ),
    ),
  );

  await t.test('random bytes and text through format detection never throw an untyped error', (t) =>
    checkProperty(
      t,
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 200, unit: 'binary' })),
        (input) => typed(() => parseSource(input)),
      ),
    ),
  );

  await t.test('any selection options and address never throw an untyped error', (t) =>
    checkProperty(
      t,
      fc.property(
        fc.array(
          fc.oneof(fc.constantFrom('uksouth', 'ukwest', 'UKSouth'), fc.string({ maxLength: 8 })),
          { maxLength: 3 },
        ),
        fc.option(
          fc.array(
            fc.oneof(
              fc.constantFrom('ServiceBus', 'AzureCloud', 'ServiceBus.UKSouth'),
              fc.string({ maxLength: 8 }),
            ),
            { maxLength: 3 },
          ),
          { nil: undefined },
        ),
        fc.oneof(
          fc.constantFrom('51.140.146.50', '::ffff:51.140.146.50', '2603:1020:705::701'),
          fc.string({ maxLength: 40 }),
        ),
        fc.boolean(),
        (regions, tags, ip, aggregate) =>
          typed(() =>
            selectRanges(SAMPLE, {
              regions,
              ...(tags === undefined ? {} : { tags }),
              aggregate,
              contains: ip,
            }),
          ),
      ),
    ),
  );
});

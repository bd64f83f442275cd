// Content check options are validated at the edge. In: unknown fields, out-of-range or
// non-integer limits, bad expected roots, for the XML and the PDF check. Out: RELAY_E_CONTENT_CONFIG
// naming the field; valid options come back complete and frozen, and are not parsed twice.
import t from 'tap';
import {
  RELAY_CONTENT_ERRORS,
  createXmlCheck,
  parsePdfCheckOptions,
  parseXmlCheckOptions,
} from '../../src/work/content';

void t.test('bad XML options are refused with the field named', (t) => {
  const bad: [unknown, RegExp][] = [
    [{ maxDepth: 0 }, /maxDepth/],
    [{ maxDepth: 1.5 }, /maxDepth/],
    [{ maxBytes: -1 }, /maxBytes/],
    [{ maxTextLength: '1' }, /maxTextLength/],
    [{ maxElements: 2e9 }, /maxElements/],
    [{ expectedRoot: 'p:Application' }, /expectedRoot/],
    [{ expectedRoot: '' }, /expectedRoot/],
    [{ expectedNamespace: '' }, /expectedNamespace/],
    [{ maxDepht: 3 }, /maxDepht|unrecognized/i],
    ['not an object', /top level/],
  ];
  for (const [input, message] of bad) {
    t.throws(
      () => parseXmlCheckOptions(input),
      { code: 'RELAY_E_CONTENT_CONFIG', message },
      JSON.stringify(input),
    );
  }
  t.throws(() => createXmlCheck({ maxDepth: -3 }), { code: 'RELAY_E_CONTENT_CONFIG' }, 'create*');
  t.end();
});

void t.test('bad PDF options are refused with the field named', (t) => {
  for (const input of [{ maxBytes: 15 }, { maxBytes: 1.5 }, { maxBytes: 5e12 }, { magic: true }]) {
    t.throws(
      () => parsePdfCheckOptions(input),
      { code: 'RELAY_E_CONTENT_CONFIG' },
      JSON.stringify(input),
    );
  }
  t.same(
    parsePdfCheckOptions(undefined),
    {
      maxBytes: 64 * 1024 * 1024,
      actions: 'refuse',
      embeddedFiles: 'refuse',
      maxStreamBytes: 16 * 1024 * 1024,
      maxInflatedBytes: 32 * 1024 * 1024,
      maxTotalInflatedBytes: 256 * 1024 * 1024,
    },
    'defaults: 64 MiB, refuse actions and embedded files, bounded inflation',
  );
  t.end();
});

void t.test('valid options are complete, frozen, and reused as they are', (t) => {
  const o = parseXmlCheckOptions({ maxDepth: 8, expectedRoot: 'Application' });
  t.equal(o.maxDepth, 8);
  t.equal(o.maxAttributes, 64, 'defaults filled in');
  t.ok(Object.isFrozen(o), 'frozen');
  t.equal(parseXmlCheckOptions(o), o, 'parsed options pass through unchanged');
  t.end();
});

void t.test('the relay-content family declares its four codes with readable summaries', (t) => {
  t.equal(RELAY_CONTENT_ERRORS.name, 'relay-content');
  t.same(RELAY_CONTENT_ERRORS.codes, [
    'RELAY_E_CONTENT_XML',
    'RELAY_E_CONTENT_PDF',
    'RELAY_E_CONTENT_CONFIG',
    'RELAY_E_CONTENT_NAME',
  ]);
  for (const code of RELAY_CONTENT_ERRORS.codes) {
    t.ok(RELAY_CONTENT_ERRORS.specs[code].summary.length >= 20, `${code} is explained`);
  }
  t.equal(RELAY_CONTENT_ERRORS.specs.RELAY_E_CONTENT_XML.http, 422);
  t.equal(RELAY_CONTENT_ERRORS.specs.RELAY_E_CONTENT_PDF.http, 422);
  t.end();
});
